/** Deterministic test signals and chunked runs shared by the audio tests. */
import type { StreamResampler } from '../../src/audio/resampler.js';

/** Small seeded PRNG (LCG): the same "random" chunkings on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 0x1_0000_0000;
  };
}

/** Broadband test audio: a few tones plus noise, loud enough to exercise every tap. */
export function testSignal(count: number, rateHz: number, seed = 1): Int16Array {
  const random = seededRandom(seed);
  const samples = new Int16Array(count);
  for (let n = 0; n < count; n++) {
    const t = n / rateHz;
    const tones = 9000 * Math.sin(2 * Math.PI * 440 * t) + 6000 * Math.sin(2 * Math.PI * 3100 * t);
    samples[n] = Math.round(tones + 8000 * (random() - 0.5));
  }
  return samples;
}

export function concat(pieces: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(pieces.reduce((sum, piece) => sum + piece.length, 0));
  let at = 0;
  for (const piece of pieces) {
    out.set(piece, at);
    at += piece.length;
  }
  return out;
}

/** Feeds `input` in chunks of the given sizes (cycled), copying each output before the next call. */
export function runChunked(resampler: StreamResampler, input: Int16Array, sizes: readonly number[]): Int16Array {
  const pieces: Int16Array[] = [];
  let at = 0;
  for (let i = 0; at < input.length; i++) {
    const size = sizes[i % sizes.length]!;
    pieces.push(resampler.process(input.subarray(at, at + size)).slice());
    at += size;
  }
  return concat(pieces);
}

export function randomSizes(count: number, min: number, max: number, seed: number): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => min + Math.floor(random() * (max - min + 1)));
}

export function firstDifference(a: Int16Array, b: Int16Array): number | undefined {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return undefined;
}
