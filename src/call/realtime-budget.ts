/**
 * A caller's audio may not run ahead of real time. A phone stream delivers 1 s of audio per
 * second; anything beyond that is either a broken peer or an attack, and every accepted sample
 * is billed model input, DSP work and recording bytes. So each stream has a budget, a token
 * bucket in milliseconds of audio: it refills at the wall-clock rate and holds at most
 * `burstMs`, the jitter a real network adds (a TCP stall delivers its backlog at once). Audio
 * beyond the budget is cut off here, before the resampler, the model and the recorder, and
 * counted. A stream that keeps sending at least twice real time is over budget for good: the
 * call closes it (`media_overrun`).
 *
 * Pure bookkeeping on an injected clock: no timers, nothing allocated per frame.
 */

export interface RealtimeBudgetSettings {
  /** Audio a stream may deliver ahead of real time (network jitter, the backlog after a stall). */
  burstMs: number;
  /** A stream that sends at least twice real time for this long is closed. */
  overrunCloseMs: number;
}

export const DEFAULT_REALTIME_BUDGET: RealtimeBudgetSettings = { burstMs: 1_000, overrunCloseMs: 5_000 };

/**
 * Overrun is judged per second of wall time: a second in which at least a second of audio was
 * dropped (the stream sent ≥ 2× real time) counts; a quieter second resets the count. One
 * burst after a stall never adds up to that; a peer whose clock runs 0.1 % fast never comes close.
 */
const WINDOW_MS = 1_000;

export class RealtimeBudget {
  readonly #samplesPerMs: number;
  readonly #burstMs: number;
  readonly #overrunWindows: number;
  readonly #now: () => number;
  #creditMs: number;
  #lastMs: number | undefined;
  #windowStartMs = 0;
  #windowDroppedMs = 0;
  #overWindows = 0;
  #droppedMs = 0;
  #overrun = false;

  constructor(sampleRateHz: number, settings: RealtimeBudgetSettings, now: () => number) {
    this.#samplesPerMs = sampleRateHz / 1000;
    this.#burstMs = settings.burstMs;
    this.#overrunWindows = Math.max(1, Math.ceil(settings.overrunCloseMs / WINDOW_MS));
    this.#now = now;
    this.#creditMs = settings.burstMs;
  }

  /** Milliseconds of audio cut off so far. */
  get droppedMs(): number {
    return this.#droppedMs;
  }

  /** True once the stream has sent at least twice real time in each second of the last
   *  `overrunCloseMs` (judged on the first frame after that). */
  get overrun(): boolean {
    return this.#overrun;
  }

  /**
   * The part of `pcm` within the budget: all of it, its first samples (a view, not a copy), or
   * undefined when nothing is left.
   */
  take(pcm: Int16Array): Int16Array | undefined {
    const now = this.#now();
    this.#refill(now);
    const offeredMs = pcm.length / this.#samplesPerMs;
    if (offeredMs <= this.#creditMs) {
      this.#creditMs -= offeredMs;
      return pcm;
    }
    const acceptedSamples = Math.floor(this.#creditMs * this.#samplesPerMs);
    const acceptedMs = acceptedSamples / this.#samplesPerMs;
    this.#creditMs -= acceptedMs;
    this.#drop(offeredMs - acceptedMs);
    return acceptedSamples > 0 ? pcm.subarray(0, acceptedSamples) : undefined;
  }

  #refill(now: number): void {
    if (this.#lastMs === undefined) {
      this.#lastMs = now;
      this.#windowStartMs = now;
      return;
    }
    this.#creditMs = Math.min(this.#burstMs, this.#creditMs + Math.max(0, now - this.#lastMs));
    this.#lastMs = now;
    const sinceWindow = now - this.#windowStartMs;
    if (sinceWindow < WINDOW_MS) return;
    // Close the current window; any whole windows after it passed without a frame (not over).
    const wasOver = this.#windowDroppedMs >= WINDOW_MS;
    this.#overWindows = wasOver && sinceWindow < 2 * WINDOW_MS ? this.#overWindows + 1 : 0;
    this.#windowDroppedMs = 0;
    this.#windowStartMs = now - (sinceWindow % WINDOW_MS);
    if (this.#overWindows >= this.#overrunWindows) this.#overrun = true;
  }

  #drop(ms: number): void {
    this.#droppedMs += ms;
    this.#windowDroppedMs += ms;
  }
}
