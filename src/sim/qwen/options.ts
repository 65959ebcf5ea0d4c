/**
 * Options of `startQwenSimulator`, and their defaults. Invalid values throw at start, so a test
 * with a typo fails at once instead of hanging on events that never come.
 */
import type { QwenSimulatorFaults } from './faults.js';
import { DEFAULT_RESPONSE_TIMING, type EndedEarlyStatus, type ResponseTiming } from './responses.js';
import { SUPPORT_LINE_SCRIPT, type ConversationScript } from './script.js';

export interface QwenSimulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1: the simulator is for local tests and demos only. */
  host?: string;
  /** When set, `Authorization: Bearer <apiKey>` must match it; otherwise any non-empty key passes. */
  apiKey?: string;
  /** Replaces parts of the default support-line script (SUPPORT_LINE_SCRIPT). */
  script?: Partial<ConversationScript>;
  timing?: Partial<ResponseTiming>;
  /** The service closes a session after 120 minutes (§3); tests shorten it. */
  sessionCapMs?: number;
  /** The real close code at the cap is undocumented; 1000 (normal closure) with no reason is a guess. */
  sessionCapCloseCode?: number;
  /** Replaces the session's idle_timeout_ms (5,000 ms at least) in the re-prompt timer, so tests
   *  need not wait seconds; the echo still shows the client's value. Applies only where
   *  idle_timeout_ms itself is in effect (qwen3.5, server_vad, set by the client). */
  idleTimeoutOverrideMs?: number;
  /** Status of a response cut short by barge-in or response.cancel (default "incomplete"). */
  endedEarlyStatus?: EndedEarlyStatus;
  faults?: QwenSimulatorFaults;
}

export interface ResolvedOptions {
  port: number;
  host: string;
  apiKey: string | undefined;
  script: ConversationScript;
  timing: ResponseTiming;
  sessionCapMs: number;
  sessionCapCloseCode: number;
  idleTimeoutOverrideMs: number | undefined;
  endedEarlyStatus: EndedEarlyStatus;
  faults: QwenSimulatorFaults | undefined;
}

export const DEFAULT_SESSION_CAP_MS = 120 * 60 * 1000;

/** 1004-1006 and 1015 are reserved: they never travel in a close frame. */
export function isSendableCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new RangeError(`startQwenSimulator: ${message}`);
}

export function resolveOptions(options: QwenSimulatorOptions): ResolvedOptions {
  const timing: ResponseTiming = { ...DEFAULT_RESPONSE_TIMING, ...options.timing };
  check(timing.speedFactor >= 1, 'timing.speedFactor must be >= 1 (deltas at least as fast as real time)');
  check(timing.audioDeltaMs >= 10 && timing.audioDeltaMs <= 1000, 'timing.audioDeltaMs must be within 10-1000');
  check(timing.firstDeltaDelayMs >= 0, 'timing.firstDeltaDelayMs must be >= 0');
  const sessionCapMs = options.sessionCapMs ?? DEFAULT_SESSION_CAP_MS;
  check(sessionCapMs > 0, 'sessionCapMs must be > 0');
  const sessionCapCloseCode = options.sessionCapCloseCode ?? 1000;
  check(isSendableCloseCode(sessionCapCloseCode), 'sessionCapCloseCode must be a code a server may send');
  const sessionFaults = options.faults?.session;
  const disconnectCode = typeof sessionFaults === 'object' ? sessionFaults.disconnect?.closeCode : undefined;
  check(
    disconnectCode === undefined || isSendableCloseCode(disconnectCode),
    'faults.session.disconnect.closeCode must be a code a server may send',
  );
  check((options.idleTimeoutOverrideMs ?? 0) >= 0, 'idleTimeoutOverrideMs must be >= 0');
  const port = options.port ?? 0;
  check(Number.isInteger(port) && port >= 0 && port <= 65535, 'port must be 0-65535');
  return {
    port,
    host: options.host ?? '127.0.0.1',
    apiKey: options.apiKey,
    script: { ...SUPPORT_LINE_SCRIPT, ...options.script },
    timing,
    sessionCapMs,
    sessionCapCloseCode,
    idleTimeoutOverrideMs: options.idleTimeoutOverrideMs,
    endedEarlyStatus: options.endedEarlyStatus ?? 'incomplete',
    faults: options.faults,
  };
}
