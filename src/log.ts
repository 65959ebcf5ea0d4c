/**
 * The root logger. Messages are static; data goes in fields. Anything that could carry a secret
 * is redacted here as a second line of defence: code should not log secrets in the first place.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

export const REDACT_PATHS = [
  'apiKey',
  '*.apiKey',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'token',
  '*.token',
  'secrets',
  '*.secrets',
  'password',
  '*.password',
  // Header values carry credentials under any name (X-Api-Key, Cookie, a vendor's own): none is logged.
  'headers.*',
  '*.headers.*',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'qwen-phone-bridge' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
