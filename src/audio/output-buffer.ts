/**
 * The output array a resampler hands back: reused from call to call so the 20 ms path allocates
 * nothing in steady state. The same view object is returned while the length repeats; callers get
 * an array that is valid until the next call, as `StreamResampler.process` promises.
 */
export class OutputBuffer {
  #buffer = new Int16Array(0);
  #view = this.#buffer;

  /** The backing array, grown to at least `capacity` (earlier contents are not kept). */
  reserve(capacity: number): Int16Array {
    if (this.#buffer.length < capacity) this.#buffer = new Int16Array(capacity);
    return this.#buffer;
  }

  /** The first `length` samples of the backing array. */
  view(length: number): Int16Array {
    if (this.#view.buffer !== this.#buffer.buffer || this.#view.length !== length) {
      this.#view = this.#buffer.subarray(0, length);
    }
    return this.#view;
  }

  release(): void {
    this.#buffer = new Int16Array(0);
    this.#view = this.#buffer;
  }
}
