/** A media leg that records what the call sent toward the caller, in order. */
import type { MediaLeg, TransferOutcome } from '../../src/call/media-leg.js';

export type LegAction = { type: 'frame'; samples: number; atMs: number } | { type: 'clear'; atMs: number } | { type: 'mark'; name: string };

export class FakeLeg implements MediaLeg {
  readonly actions: LegAction[] = [];
  closedWith: string | undefined;
  closeCount = 0;
  /** Transfer targets asked for, with the time of asking. */
  readonly transfers: Array<{ target: string; atMs: number }> = [];
  /**
   * Set to make this leg transfer like a SIP leg (REFER) with this outcome; left unset it cannot
   * transfer, like an audio fork.
   */
  transfer?: (target: string) => Promise<TransferOutcome>;

  /** This leg transfers (like SIP), answering every REFER with `outcome` (a promise: never settles). */
  canTransfer(outcome: TransferOutcome | Promise<TransferOutcome>): this {
    this.transfer = (target) => {
      this.transfers.push({ target, atMs: this.now() });
      return Promise.resolve(outcome);
    };
    return this;
  }

  constructor(
    readonly sampleRateHz = 8000,
    private readonly now: () => number = () => Date.now(),
  ) {}

  sendAudio(frame: Int16Array): void {
    this.actions.push({ type: 'frame', samples: frame.length, atMs: this.now() });
  }
  clear(): void {
    this.actions.push({ type: 'clear', atMs: this.now() });
  }
  mark(name: string): void {
    this.actions.push({ type: 'mark', name });
  }
  close(reason: string): void {
    this.closeCount += 1;
    this.closedWith ??= reason;
  }

  get frames(): number {
    return this.actions.filter((a) => a.type === 'frame').length;
  }
}
