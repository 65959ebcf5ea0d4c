/**
 * What a call does once the line the model just spoke has played: hang up, or transfer. Waiting
 * for playout has a limit (a stuck far end must not keep the call), and so does a transfer (REFER
 * or the agent's transfer webhook); both limits are the call's named timers, which report back
 * through `drainLimitFired` / `transferLimitFired`.
 */
import type { Logger } from 'pino';
import { assertNever, type EndReason } from './end-reason.js';
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
  log: Logger;
}

export class AfterSpeakingRunner {
  readonly #deps: AfterSpeakingDeps;
  /** Ends the wait for playout to drain when the drain limit fires. */
  #drainTimedOut: (() => void) | undefined;
  /** Settles the transfer under way when its time limit fires. */
  #transferTimedOut: ((outcome: TransferOutcome) => void) | undefined;
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
    this.#transferTimedOut?.({ ok: false, reason: 'no outcome in time' });
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
    const timedOut = new Promise<TransferOutcome>((resolve) => {
      this.#transferTimedOut = resolve;
      limits.arm('transfer_timeout', timeoutMs);
    });
    let outcome: TransferOutcome;
    try {
      const attempt = leg.transfer
        ? leg.transfer(destination)
        : tools.transferWithoutLeg
          ? tools.transferWithoutLeg(target, destination, this.#deps.toolContext())
          : Promise.resolve<TransferOutcome>({ ok: false, reason: 'this line cannot transfer calls' });
      outcome = await Promise.race([attempt, timedOut]);
    } catch (err) {
      outcome = { ok: false, reason: err instanceof Error ? err.message : String(err) };
    }
    limits.disarm('transfer_timeout');
    this.#transferTimedOut = undefined;
    this.#transferring = false;
    if (!this.#deps.isActive()) return;
    if (outcome.ok) {
      await this.#deps.close('transferred', target);
      return;
    }
    log.warn({ target, reason: outcome.reason, status: outcome.status }, 'transfer failed');
    this.#deps.tellModel(transferFailedInstructions(target, outcome));
    this.#deps.resumeAfterFailedTransfer();
  }
}
