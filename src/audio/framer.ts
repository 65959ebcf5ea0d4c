/**
 * Cuts PCM16 chunks of any size into fixed frames (20 ms at the leg's rate: 160 samples at 8 kHz).
 * The model's deltas are 40–200 ms and a resampler's output count varies per call, so whole frames
 * go out as soon as they are complete and the remainder waits for the next chunk.
 *
 * `pushEach` hands out views, for a consumer that copies each frame where it keeps it (the call's
 * playout ring); `push` returns new arrays that the framer never touches again, for one that keeps
 * the frames themselves (an RTP leg's inbound audio). Only the remainder buffer is reused.
 */
export class Framer {
  readonly frameSamples: number;
  readonly #pending: Int16Array;
  #pendingLength = 0;

  constructor(frameSamples: number) {
    if (!Number.isInteger(frameSamples) || frameSamples <= 0) {
      throw new RangeError(`frameSamples must be a positive integer, got ${frameSamples}`);
    }
    this.frameSamples = frameSamples;
    this.#pending = new Int16Array(frameSamples);
  }

  /** Samples waiting for the rest of their frame (always fewer than `frameSamples`). */
  get pendingSamples(): number {
    return this.#pendingLength;
  }

  /** Append a chunk; returns the frames it completed, oldest first (often none), each a new array. */
  push(samples: Int16Array): Int16Array[] {
    const frames: Int16Array[] = [];
    this.pushEach(samples, (frame) => frames.push(frame.slice()));
    return frames;
  }

  /**
   * Like `push`, but hands each completed frame to `onFrame` as a view instead of a new array:
   * of `samples` itself, or of the framer's own remainder buffer for a frame that straddles two
   * chunks. A view is valid only during the callback; a consumer that queues frames copies them.
   */
  pushEach(samples: Int16Array, onFrame: (frame: Int16Array) => void): void {
    const size = this.frameSamples;
    let read = 0;
    if (this.#pendingLength > 0) {
      const take = Math.min(size - this.#pendingLength, samples.length);
      this.#pending.set(samples.subarray(0, take), this.#pendingLength);
      this.#pendingLength += take;
      read = take;
      if (this.#pendingLength < size) return;
      this.#pendingLength = 0;
      onFrame(this.#pending);
    }
    for (; read + size <= samples.length; read += size) onFrame(samples.subarray(read, read + size));
    const rest = samples.length - read;
    if (rest > 0) {
      this.#pending.set(samples.subarray(read), 0);
      this.#pendingLength = rest;
    }
  }

  /**
   * The remainder as one frame padded with silence, or `undefined` if nothing is pending: the end
   * of a response should be heard now, not when the next response pushes it out.
   */
  flush(): Int16Array | undefined {
    if (this.#pendingLength === 0) return undefined;
    const frame = new Int16Array(this.frameSamples);
    frame.set(this.#pending.subarray(0, this.#pendingLength));
    this.#pendingLength = 0;
    return frame;
  }

  /** Drop the remainder (barge-in: the rest of that response must not be played). */
  clear(): void {
    this.#pendingLength = 0;
  }
}
