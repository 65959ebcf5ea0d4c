/**
 * What a call does once the line the model just spoke has played: hang up, or transfer. Waiting
 * for playout has a limit (a stuck far end must not keep the call), and so does a transfer (REFER
 * or the agent's transfer webhook); both limits are the call's named timers, which report back
 * through `drainLimitFired` / `transferLimitFired`.
 */
import type { Logger } from 'pino';
import { assertNever, type EndReason } from './end-reason.js';
import type { TransferRecord } from './call-record.js';
import type { CallLimits } from './limits.js';
import type { MediaLeg, TransferOutcome } from './media-leg.js';
import { transferFailedInstructions, type AfterSpeaking, type CallTools, type ToolContext } from './tool-runner.js';

export interface AfterSpeakingDeps {
  limits: CallLimits;
  drainTimeoutMs: number;
  whenDrained(): Promise<void>;
  isActive(): boolean;
  leg: MediaLeg;
  tools: CallTools;
  toolContext(): ToolContext;
  close(reason: EndReason, detail?: string): Promise<void>;
  /** Per-response instructions to the model (the only way to tell it anything mid-call). */
  tellModel(instructions: string): void;
  /** The call goes on after a failed transfer; it must not then wait forever for the caller. */
  resumeAfterFailedTransfer(): void;
  /** Keeps the attempt for the call record (the entry may still change: a late outcome). */
  recordTransfer(entry: TransferRecord): void;
  /** Milliseconds since the call started. */
  elapsedMs(): number;
  log: Logger;
}

export class AfterSpeakingRunner {
  readonly #deps: AfterSpeakingDeps;
  /** Ends the wait for playout to drain when the drain limit fires. */
  #drainTimedOut: (() => void) | undefined;
  /** Settles the transfer under way when its time limit fires. */
  #transferTimedOut: (() => void) | undefined;
  #transferring = false;

  constructor(deps: AfterSpeakingDeps) {
    this.#deps = deps;
  }

  /** A transfer is under way: digits and silence timers wait. */
  get transferring(): boolean {
    return this.#transferring;
  }

  async run(then: AfterSpeaking): Promise<void> {
    switch (then.action) {
      case 'none':
        return;
      case 'hangup': {
        const drained = await this.#drained();
        const detail = drained ? then.detail : [then.detail, 'playout did not drain'].filter(Boolean).join('; ');
        await this.#deps.close(then.reason, detail);
        return;
      }
      case 'transfer':
        await this.#drained();
        await this.#transfer(then);
        return;
      default:
        assertNever(then, 'follow-up action');
    }
  }

  drainLimitFired(): void {
    this.#drainTimedOut?.();
    this.#drainTimedOut = undefined;
  }

  transferLimitFired(): void {
    this.#transferTimedOut?.();
  }

  /** Resolves true once playout has drained, false if the drain limit fired first. */
  #drained(): Promise<boolean> {
    const { limits } = this.#deps;
    return new Promise((resolve) => {
      this.#drainTimedOut = () => resolve(false);
      limits.arm('drain_timeout', this.#deps.drainTimeoutMs);
      void this.#deps.whenDrained().then(() => {
        limits.disarm('drain_timeout');
        resolve(true);
      });
    });
  }

  /**
   * SIP REFER when the leg can, else the agent's transfer webhook. Success ends the call as
   * `transferred`; failure or silence past the time limit keeps the call, and the model is told
   * so it can apologize (see transferFailedInstructions for why that is per-response instructions).
   */
  async #transfer(then: Extract<AfterSpeaking, { action: 'transfer' }>): Promise<void> {
    const { limits, leg, tools, log } = this.#deps;
    if (!this.#deps.isActive() || this.#transferring) return;
    const { target, destination, timeoutMs } = then;
    this.#transferring = true;
    limits.disarm('caller_silence');
    log.info({ target, destination }, 'transferring');
    const entry: TransferRecord = { atMs: Math.round(this.#deps.elapsedMs()), target, destination, outcome: 'timeout' };
    this.#deps.recordTransfer(entry);
    const timedOut = new Promise<'timeout'>((resolve) => {
      this.#transferTimedOut = () => resolve('timeout');
      limits.arm('transfer_timeout', timeoutMs);
    });
    const attempt: Promise<TransferOutcome> = (async () => {
      try {
        if (leg.transfer) return await leg.transfer(destination, { timeoutMs });
        if (tools.transferWithoutLeg) return await tools.transferWithoutLeg(target, destination, this.#deps.toolContext());
        return { ok: false, reason: 'this line cannot transfer calls' };
      } catch (err) {
        return { ok: false, reason: err instanceof Error ? err.message : String(err) };
      }
    })();
    const outcome = await Promise.race([attempt, timedOut]);
    limits.disarm('transfer_timeout');
    this.#transferTimedOut = undefined;
    this.#transferring = false;
    if (outcome === 'timeout') {
      entry.reason = 'no outcome in time';
      // The far end may still finish the transfer (a final NOTIFY 200 after we stopped waiting):
      // then the caller is with the person, and this side must end rather than talk to nobody.
      void attempt.then((late) => this.#lateOutcome(entry, late));
      if (!this.#deps.isActive()) return;
      log.warn({ target, timeoutMs }, 'transfer timed out');
      this.#deps.tellModel(transferFailedInstructions(target, { reason: 'no outcome in time' }));
      this.#deps.resumeAfterFailedTransfer();
      return;
    }
    if (outcome.ok) {
      entry.outcome = 'transferred';
      if (this.#deps.isActive()) await this.#deps.close('transferred', target);
      return;
    }
    entry.outcome = 'failed';
    entry.reason = outcome.reason;
    if (outcome.status !== undefined) entry.status = outcome.status;
    if (!this.#deps.isActive()) return;
    log.warn({ target, reason: outcome.reason, status: outcome.status }, 'transfer failed');
    this.#deps.tellModel(transferFailedInstructions(target, outcome));
    this.#deps.resumeAfterFailedTransfer();
  }

  #lateOutcome(entry: TransferRecord, late: TransferOutcome): void {
    if (!late.ok) {
      if (late.status !== undefined) entry.status = late.status;
      this.#deps.log.info({ target: entry.target, status: late.status, reason: late.reason }, 'late transfer outcome: failed');
      return;
    }
    entry.outcome = 'transferred';
    entry.late = true;
    delete entry.reason;
    if (!this.#deps.isActive()) return;
    this.#deps.log.info({ target: entry.target }, 'transfer completed after the time limit: ending the call');
    void this.#deps.close('transferred', `${entry.target} (after the time limit)`);
  }
}
