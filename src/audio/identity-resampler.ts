/**
 * Same rate in and out (a 16 kHz leg feeding the 16 kHz model input, a greeting recorded at the
 * leg's rate). Returns a copy in a reused buffer rather than the input itself, so the output keeps
 * the interface's promise (valid until the next call) even if the caller reuses its input buffer.
 */
import { OutputBuffer } from './output-buffer.js';
import type { StreamResampler } from './resampler.js';

export class IdentityResampler implements StreamResampler {
  readonly fromHz: number;
  readonly toHz: number;
  readonly delayMs = 0;
  readonly #output = new OutputBuffer();
  #disposed = false;

  constructor(rateHz: number) {
    if (!Number.isInteger(rateHz) || rateHz <= 0) {
      throw new RangeError(`rateHz must be a positive integer number of hertz, got ${rateHz}`);
    }
    this.fromHz = rateHz;
    this.toHz = rateHz;
  }

  process(input: Int16Array): Int16Array {
    if (this.#disposed) throw new Error('IdentityResampler used after dispose()');
    this.#output.reserve(input.length).set(input);
    return this.#output.view(input.length);
  }

  reset(): void {
    // Nothing is held between calls.
  }

  dispose(): void {
    this.#disposed = true;
    this.#output.release();
  }
}
