/**
 * Who may open a media stream. An unauthenticated media WebSocket lets anyone who finds the URL
 * run up model costs, hear the agent's instructions and inject audio into calls, so every upgrade
 * must prove it knows the bridge's secret, or carry a valid Twilio signature on the Twilio path.
 *
 * The secret may come as `?token=` (what Twilio and most platforms can do: the URL is all they
 * let you configure), `Authorization: Bearer`, `X-Bridge-Token`, or as the password of HTTP Basic
 * auth (what mod_audio_fork and jambonz `wsAuth` send).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isValidTwilioSignature, signedUrl } from '../twilio/signature.js';

export interface ForkAuthConfig {
  authToken: string;
  twilioAuthToken?: string;
  publicBaseUrl?: string;
}

import type { AuthFailure } from './fork-counts.js';

export type { AuthFailure };

export type AuthResult = { ok: true; method: 'token' | 'twilio_signature' } | { ok: false; reason: AuthFailure };

const TOKEN_PARAM = 'token';

export function authenticateUpgrade(
  req: IncomingMessage,
  url: URL,
  acceptTwilioSignature: boolean,
  config: ForkAuthConfig,
): AuthResult {
  const presented = presentedTokens(req, url);
  if (presented.some((token) => sameSecret(token, config.authToken))) return { ok: true, method: 'token' };

  const signature = req.headers['x-twilio-signature'];
  if (acceptTwilioSignature && config.twilioAuthToken !== undefined && typeof signature === 'string') {
    const signed = signedUrl(req.url ?? '/', req.headers.host, config.publicBaseUrl);
    return isValidTwilioSignature(config.twilioAuthToken, signed, signature)
      ? { ok: true, method: 'twilio_signature' }
      : { ok: false, reason: 'bad_signature' };
  }
  return { ok: false, reason: presented.length === 0 ? 'missing_credentials' : 'bad_token' };
}

/**
 * At most one token per way of presenting it (query, X-Bridge-Token, Authorization): a request
 * repeating `?token=` hundreds of times would otherwise be hundreds of guesses for one failure.
 */
function presentedTokens(req: IncomingMessage, url: URL): string[] {
  const query = url.searchParams.get(TOKEN_PARAM);
  const tokens = query === null ? [] : [query];
  const header = req.headers['x-bridge-token'];
  if (typeof header === 'string') tokens.push(header);
  const authorization = req.headers.authorization;
  if (authorization !== undefined) {
    const [scheme = '', value = ''] = authorization.trim().split(/\s+/, 2);
    if (scheme.toLowerCase() === 'bearer') tokens.push(value);
    if (scheme.toLowerCase() === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon >= 0) tokens.push(decoded.slice(colon + 1));
    }
  }
  return tokens.filter((token) => token !== '');
}

/** Hashing first makes the comparison constant-time regardless of the lengths involved. */
function sameSecret(presented: string, secret: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(secret).digest();
  return timingSafeEqual(a, b);
}
