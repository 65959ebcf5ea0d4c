/**
 * Options of `startQwenSimulator`, and their defaults. Invalid values throw at start, so a test
 * with a typo fails at once instead of hanging on events that never come.
 */
import { KEEP_ALIVE } from '../../models/qwen-capabilities.js';
import type { QwenSimulatorFaults } from './faults.js';
import type { Fidelity } from './fidelity.js';
import { DEFAULT_RESPONSE_TIMING, type EndedEarlyStatus, type ResponseTiming } from './responses.js';
import { isToolCallReply, SUPPORT_LINE_SCRIPT, toolCallsOf, type ConversationScript } from './script.js';

export interface QwenSimulatorOptions {
  /**
   * `live` (default): behave as the live service was seen to (voices refused at the first answer,
   * numeric error codes, tools dropped on older families, user text items, idle close, …; see
   * fidelity.ts). `documented`: follow the documentation, as the simulator did before.
   */
  fidelity?: Fidelity;
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
  /** The real close code at the cap is undocumented (open question 5); 1000 (normal closure) with
   *  no reason is a guess, so a client must not depend on it. */
  sessionCapCloseCode?: number;
  /**
   * Close a session that has received no client event for this long: an `error` ("Session closed:
   * too long without operation"), then close code 1011. Any client event counts, including an
   * append of silence (how keep-alives work). 0 disables. Default: live
   * KEEP_ALIVE.serviceIdleCloseMs (25 s; the real figure is undocumented), documented 0.
   */
  idleCloseMs?: number;
  /** Ended sessions kept in `sessions` (default 200); older ones are forgotten, so a simulator
   *  that serves thousands of calls stays flat. Sessions still open are always kept. */
  retainedSessions?: number;
  /** Caller-transcription previews as `...transcription.delta` (default) or the `...transcription.text`
   *  variant some clients of the live service also handle. */
  transcriptionPreviewEvent?: 'delta' | 'text';
  /** Replaces the session's idle_timeout_ms (5,000 ms at least) in the re-prompt timer, so tests
   *  need not wait seconds; the echo still shows the client's value. Applies only where
   *  idle_timeout_ms itself is in effect (qwen3.5, server_vad, set by the client). */
  idleTimeoutOverrideMs?: number;
  /** Status of a response cut short by barge-in or response.cancel (default: live "cancelled",
   *  with status_details; documented "incomplete"). */
  endedEarlyStatus?: EndedEarlyStatus;
  faults?: QwenSimulatorFaults;
}

export interface ResolvedOptions {
  fidelity: Fidelity;
  port: number;
  host: string;
  apiKey: string | undefined;
  script: ConversationScript;
  timing: ResponseTiming;
  sessionCapMs: number;
  sessionCapCloseCode: number;
  idleTimeoutOverrideMs: number | undefined;
  endedEarlyStatus: EndedEarlyStatus;
  idleCloseMs: number;
  retainedSessions: number;
  transcriptionPreviewEvent: 'delta' | 'text';
  faults: QwenSimulatorFaults | undefined;
}

export const DEFAULT_RETAINED_SESSIONS = 200;

export const DEFAULT_SESSION_CAP_MS = 120 * 60 * 1000;

/** 1004-1006 and 1015 are reserved: they never travel in a close frame. */
export function isSendableCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new RangeError(`startQwenSimulator: ${message}`);
}

export function resolveOptions(options: QwenSimulatorOptions): ResolvedOptions {
  const fidelity = options.fidelity ?? 'live';
  check(fidelity === 'live' || fidelity === 'documented', "fidelity must be 'live' or 'documented'");
  const live = fidelity === 'live';
  // A documented tool-call response is one burst; the live one ends a little after its call.
  const timing: ResponseTiming = {
    ...DEFAULT_RESPONSE_TIMING,
    toolCallDoneDelayMs: live ? DEFAULT_RESPONSE_TIMING.toolCallDoneDelayMs : 0,
    ...options.timing,
  };
  check(timing.toolCallDoneDelayMs >= 0, 'timing.toolCallDoneDelayMs must be >= 0');
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
  if (typeof sessionFaults === 'object') {
    const greeting = sessionFaults.greeting;
    check(
      greeting === undefined || ['error', 'failed', 'close'].includes(greeting),
      "faults.session.greeting must be 'error', 'failed' or 'close'",
    );
    const split = sessionFaults.splitResponse;
    check(
      split === undefined || (split.ofResponse >= 1 && split.afterAudioDeltas >= 1),
      'faults.session.splitResponse needs ofResponse >= 1 and afterAudioDeltas >= 1',
    );
  }
  const script = { ...SUPPORT_LINE_SCRIPT, ...options.script };
  for (const turn of script.turns) {
    if (isToolCallReply(turn.reply)) check(toolCallsOf(turn.reply).length > 0, 'a scripted toolCall list must not be empty');
  }
  check((options.idleTimeoutOverrideMs ?? 0) >= 0, 'idleTimeoutOverrideMs must be >= 0');
  const idleCloseMs = options.idleCloseMs ?? (live ? KEEP_ALIVE.serviceIdleCloseMs : 0);
  check(idleCloseMs >= 0, 'idleCloseMs must be >= 0 (0 disables)');
  const retainedSessions = options.retainedSessions ?? DEFAULT_RETAINED_SESSIONS;
  check(Number.isInteger(retainedSessions) && retainedSessions >= 1, 'retainedSessions must be an integer >= 1');
  const transcriptionPreviewEvent = options.transcriptionPreviewEvent ?? 'delta';
  check(
    transcriptionPreviewEvent === 'delta' || transcriptionPreviewEvent === 'text',
    "transcriptionPreviewEvent must be 'delta' or 'text'",
  );
  const port = options.port ?? 0;
  check(Number.isInteger(port) && port >= 0 && port <= 65535, 'port must be 0-65535');
  return {
    fidelity,
    port,
    host: options.host ?? '127.0.0.1',
    apiKey: options.apiKey,
    script,
    timing,
    sessionCapMs,
    sessionCapCloseCode,
    idleTimeoutOverrideMs: options.idleTimeoutOverrideMs,
    endedEarlyStatus: options.endedEarlyStatus ?? (live ? 'cancelled' : 'incomplete'),
    idleCloseMs,
    retainedSessions,
    transcriptionPreviewEvent,
    faults: options.faults,
  };
}
