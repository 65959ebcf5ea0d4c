/**
 * The frames waiting for their play time, kept in one growable ring of samples instead of an
 * array of small arrays.
 *
 * The model sends audio several times faster than real time, so a reply's frames wait here for a
 * second or more: long enough to outlive the young-generation collections, be promoted, and make
 * every later full collection walk them. One ring per call is allocated once (and doubled if a
 * reply ever outruns it) and frames are copied into it; `shift` hands out a view that is valid
 * until the next `push`, which is as long as a leg needs it (it encodes a frame at once).
 */
export class FrameRing {
  readonly frameSamples: number;
  #samples: Int16Array;
  #tags: string[];
  #capacity: number;
  #first = 0;
  #count = 0;

  constructor(frameSamples: number, initialFrames = 64) {
    if (!Number.isInteger(frameSamples) || frameSamples <= 0)
      throw new RangeError(`frameSamples must be a positive integer, got ${frameSamples}`);
    this.frameSamples = frameSamples;
    this.#capacity = initialFrames;
    this.#samples = new Int16Array(initialFrames * frameSamples);
    this.#tags = new Array<string>(initialFrames);
  }

  get length(): number {
    return this.#count;
  }

  /** Copies one frame in; a shorter frame is padded with silence, a longer one is refused. */
  push(frame: Int16Array, tag: string): void {
    if (frame.length > this.frameSamples) throw new RangeError(`a frame holds ${this.frameSamples} samples, got ${frame.length}`);
    if (this.#count === this.#capacity) this.#grow();
    const slot = (this.#first + this.#count) % this.#capacity;
    const at = slot * this.frameSamples;
    this.#samples.set(frame, at);
    if (frame.length < this.frameSamples) this.#samples.fill(0, at + frame.length, at + this.frameSamples);
    this.#tags[slot] = tag;
    this.#count += 1;
  }

  /** The oldest frame's tag, or undefined when empty. */
  peekTag(): string | undefined {
    return this.#count === 0 ? undefined : this.#tags[this.#first];
  }

  /** Removes the oldest frame and returns a view of it, valid until the next push. */
  shift(): Int16Array | undefined {
    if (this.#count === 0) return undefined;
    const at = this.#first * this.frameSamples;
    this.#first = (this.#first + 1) % this.#capacity;
    this.#count -= 1;
    return this.#samples.subarray(at, at + this.frameSamples);
  }

  clear(): void {
    this.#first = 0;
    this.#count = 0;
  }

  #grow(): void {
    const capacity = this.#capacity * 2;
    const samples = new Int16Array(capacity * this.frameSamples);
    const tags = new Array<string>(capacity);
    for (let i = 0; i < this.#count; i++) {
      const slot = (this.#first + i) % this.#capacity;
      samples.set(this.#samples.subarray(slot * this.frameSamples, (slot + 1) * this.frameSamples), i * this.frameSamples);
      tags[i] = this.#tags[slot]!;
    }
    this.#samples = samples;
    this.#tags = tags;
    this.#capacity = capacity;
    this.#first = 0;
  }
}
