/**
 * Fault injection, as data: what goes wrong, and when. Handshake faults apply per connection
 * attempt across the simulator; session faults apply inside each accepted session (optionally
 * chosen per session number, so a reconnect can succeed where the first session failed).
 */
import type { Fidelity } from './fidelity.js';
import { protocolErrors, wireError, type WireErrorDetail } from './protocol-error.js';
import type { SessionTimers } from './session-timers.js';

export type HandshakeFaultStatus = 401 | 403 | 429 | 500 | 503;

export interface HandshakeFault {
  status: HandshakeFaultStatus;
  /** The first N connection attempts get `status`; later ones proceed normally. Default: all. */
  attempts?: number;
}

export type FaultTrigger =
  /** After the n-th (default 1st) client event of this type has been handled. */
  | { afterClientEvent: string; occurrence?: number }
  /** After the n-th audio delta of the k-th response of the session (both 1-based). */
  | { afterAudioDeltas: number; ofResponse: number }
  /** This long after the session opened (wall clock). */
  | { afterMs: number };

export interface ErrorFault {
  at: FaultTrigger;
  /** Fields override a generic `server_error` (live: code `COMMON_ERROR`, status 500); the
   *  session stays open, as with real errors. */
  error?: Partial<WireErrorDetail>;
}

export interface DisconnectFault {
  at: FaultTrigger;
  /** `terminate` (default): the TCP connection just ends, no close frame (the client sees 1006).
   *  `close`: a WebSocket close frame with `closeCode`. */
  mode?: 'terminate' | 'close';
  closeCode?: number;
}

export type TranscriptionFault =
  /** `.completed` arrives this long after the user item (deltas still come at once): after
   *  response.created or even after audio deltas, as §6.9 warns it may. */
  | { mode: 'late'; delayMs: number }
  /** `.failed` instead of deltas and `.completed`. */
  | { mode: 'failed' }
  /** The previews as usual, then a `.completed` whose transcript is empty (seen live, finding #9). */
  | { mode: 'empty_final' };

/**
 * What goes wrong with the first response the session produces for a response.create (usually
 * the greeting; open question 1, finding #5):
 * - `error`: an `error` event instead of response.created (the dialogue does not advance, so a
 *   retried response.create gets the greeting);
 * - `failed`: response.created, then response.done `failed` with status_details, no audio;
 * - `close`: the socket closes with 1011 as soon as the response.create arrives.
 */
export type GreetingFault = 'error' | 'failed' | 'close';

/**
 * One spoken answer split across two responses without a second response.create (S-10, seen by
 * Qwen-Live-Harness): the `ofResponse`-th response (1-based) ends `completed` after
 * `afterAudioDeltas` audio deltas, and a new response.created continues the rest of the speech.
 */
export interface SplitResponseFault {
  ofResponse: number;
  afterAudioDeltas: number;
}

export interface SessionFaults {
  /** Answer response.create that has nothing to respond to (the greeting, goodbyes) with an
   *  `error`: only the first such request, or every one. */
  rejectUnpromptedResponseCreate?: 'first' | 'always';
  /** Hold session.updated back this long after a valid session.update. */
  sessionUpdatedDelayMs?: number;
  errors?: readonly ErrorFault[];
  disconnect?: DisconnectFault;
  transcription?: TranscriptionFault;
  greeting?: GreetingFault;
  splitResponse?: SplitResponseFault;
}

export interface QwenSimulatorFaults {
  handshake?: HandshakeFault;
  /** Faults for every session, or per session number (1-based, in order of acceptance). */
  session?: SessionFaults | ((sessionNumber: number) => SessionFaults | undefined);
}

export function sessionFaultsFor(faults: QwenSimulatorFaults | undefined, sessionNumber: number): SessionFaults {
  const session = faults?.session;
  if (session === undefined) return {};
  return (typeof session === 'function' ? session(sessionNumber) : session) ?? {};
}

export function handshakeFaultFor(
  faults: QwenSimulatorFaults | undefined,
  attempt: number,
): HandshakeFaultStatus | undefined {
  const fault = faults?.handshake;
  if (fault === undefined) return undefined;
  return attempt <= (fault.attempts ?? Infinity) ? fault.status : undefined;
}

export type FaultAction =
  | { kind: 'error'; error: WireErrorDetail }
  | { kind: 'disconnect'; mode: 'terminate' | 'close'; closeCode: number };

interface Armed {
  at: FaultTrigger;
  action: FaultAction;
  fired: boolean;
}

/** Watches one session's progress and runs each injected fault once, when its trigger is met. */
export class FaultPlan {
  private readonly armed: Armed[] = [];
  private readonly clientEventCounts = new Map<string, number>();

  constructor(
    faults: SessionFaults,
    fidelity: Fidelity,
    private readonly run: (action: FaultAction) => void,
  ) {
    for (const fault of faults.errors ?? []) {
      const error = { ...wireError(protocolErrors.injected(), fidelity), ...fault.error };
      this.armed.push({ at: fault.at, action: { kind: 'error', error }, fired: false });
    }
    if (faults.disconnect) {
      const { at, mode = 'terminate', closeCode = 1011 } = faults.disconnect;
      this.armed.push({ at, action: { kind: 'disconnect', mode, closeCode }, fired: false });
    }
  }

  armTimers(timers: SessionTimers): void {
    for (const entry of this.armed) {
      if ('afterMs' in entry.at) timers.after(entry.at.afterMs, () => this.fire(entry));
    }
  }

  clientEventHandled(type: string): void {
    const count = (this.clientEventCounts.get(type) ?? 0) + 1;
    this.clientEventCounts.set(type, count);
    for (const entry of this.armed) {
      const at = entry.at;
      if ('afterClientEvent' in at && at.afterClientEvent === type && (at.occurrence ?? 1) === count) this.fire(entry);
    }
  }

  audioDeltaSent(responseIndex: number, deltaCount: number): void {
    for (const entry of this.armed) {
      const at = entry.at;
      if ('afterAudioDeltas' in at && at.ofResponse === responseIndex && at.afterAudioDeltas === deltaCount) {
        this.fire(entry);
      }
    }
  }

  private fire(entry: Armed): void {
    if (entry.fired) return;
    entry.fired = true;
    this.run(entry.action);
  }
}
