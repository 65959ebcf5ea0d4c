/** A media leg that records what the call sent toward the caller, in order. */
import type { MediaLeg } from '../../src/call/media-leg.js';

export type LegAction = { type: 'frame'; samples: number; atMs: number } | { type: 'clear'; atMs: number } | { type: 'mark'; name: string };

export class FakeLeg implements MediaLeg {
  readonly actions: LegAction[] = [];
  closedWith: string | undefined;
  closeCount = 0;

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
