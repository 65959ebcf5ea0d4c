/**
 * Streaming polyphase FIR resampler for a rational ratio `up / down` (filters: fir-design.ts).
 * Roughly a tenth of the CPU of libsamplerate's SINC_MEDIUM (on the reference VM 7 and 12 µs per
 * 20 ms for 8→16 and 24→8 kHz, against 80 and 113 µs) and 2 ms of delay instead of 6.
 *
 * Output sample m sits at position `m × down` on the intermediate (`fromHz × up`) grid, so it is a
 * dot product of one phase of the filter with the newest `tapsPerPhase` input samples. The history
 * and the position of the next output carry over between calls, which makes the output
 * bit-identical for any chunking of the input. Accumulation is Float64; each output is rounded and
 * clamped to int16 (the filter overshoots on full-scale input).
 */
import { firDesignFor, kaiserLowpass, type FirDesign } from './fir-design.js';
import { FirSimd, SIMD_SLICE_SAMPLES } from './fir-simd.js';
import { OutputBuffer } from './output-buffer.js';
import type { StreamResampler } from './resampler.js';

/**
 * Input is processed in slices of at most this many samples so that a long one-off input
 * (a greeting recording) does not grow the Float64 work buffer for the rest of the call.
 */
const MAX_SLICE_SAMPLES = 8192;
/** The kernels add four taps per step; phases are zero-padded (at the oldest end) to a multiple. */
const TAP_GROUP = 4;

export class FirResampler implements StreamResampler {
  readonly fromHz: number;
  readonly toHz: number;
  /** Group delay of the linear-phase prototype; nothing is held back beyond it. */
  readonly delayMs: number;
  readonly design: FirDesign;

  /** Taps per phase after padding; the work buffer keeps `tapsPerPhase − 1` samples of history. */
  readonly #tapsPerPhase: number;
  /** `#phases[p][q]` multiplies `work[first + q]`: each phase's taps, oldest input first. */
  readonly #phases: Float64Array[];
  /**
   * Interpolate-by-two kernel: the filter is linear phase, so phase 1 is phase 0 reversed. With
   * a = phase 0, the two outputs are Σ p·(x_j + x_{n−1−j}) ± Σ m·(x_j − x_{n−1−j}) over the first
   * half of the window, where p and m are the half-sums and half-differences of a_j and a_{n−1−j}:
   * half the multiplies of the direct form. Interleaved as p, m per j.
   */
  readonly #pairTaps: Float64Array;
  /** Decimate kernel: the first half of the symmetric filter (the other half mirrors it). */
  readonly #halfTaps: Float64Array;
  /** Per phase: the next output's phase and how many input samples the window moves on. */
  readonly #nextPhase: Int32Array;
  readonly #inputAdvance: Int32Array;
  readonly #work: Float64Array;
  /** The same two loops in WebAssembly SIMD, bit-identical; undefined: the JavaScript loops run. */
  readonly #simd: FirSimd | undefined;
  readonly #sliceSamples: number;
  readonly #output = new OutputBuffer();
  #phase = 0;
  /** Start in `#work` of the next output's window, relative to the start of the next input. */
  #nextFirst = 0;
  #disposed = false;

  /** `simd: false` keeps the JavaScript loops (the tests compare both). */
  constructor(fromHz: number, toHz: number, opts: { simd?: boolean } = {}) {
    const design = firDesignFor(fromHz, toHz);
    this.fromHz = fromHz;
    this.toHz = toHz;
    this.design = design;
    this.delayMs = (((design.tapCount - 1) / 2) * 1000) / design.filterRateHz;
    const { up, down } = design;
    const taps = kaiserLowpass(design, up);
    const realTaps = design.tapCount / up;
    const tapsPerPhase = Math.ceil(realTaps / TAP_GROUP) * TAP_GROUP;
    this.#tapsPerPhase = tapsPerPhase;
    this.#phases = [];
    this.#nextPhase = new Int32Array(up);
    this.#inputAdvance = new Int32Array(up);
    for (let p = 0; p < up; p++) {
      const phase = new Float64Array(tapsPerPhase);
      for (let j = 0; j < realTaps; j++) phase[tapsPerPhase - 1 - j] = taps[p + j * up]!;
      this.#phases.push(phase);
      this.#nextPhase[p] = (p + down) % up;
      this.#inputAdvance[p] = Math.floor((p + down) / up);
    }
    const half = tapsPerPhase / 2;
    const symmetric = realTaps === tapsPerPhase && tapsPerPhase % (2 * TAP_GROUP) === 0;
    this.#pairTaps = new Float64Array(symmetric && up === 2 && down === 1 ? tapsPerPhase : 0);
    if (this.#pairTaps.length > 0) {
      const a = this.#phases[0]!;
      for (let j = 0; j < half; j++) {
        this.#pairTaps[2 * j] = (a[j]! + a[tapsPerPhase - 1 - j]!) / 2;
        this.#pairTaps[2 * j + 1] = (a[j]! - a[tapsPerPhase - 1 - j]!) / 2;
      }
    }
    this.#halfTaps = new Float64Array(symmetric && up === 1 ? half : 0);
    if (this.#halfTaps.length > 0) {
      const h = this.#phases[0]!;
      // Average the mirrored pair so rounding in the design cannot make the halves disagree.
      for (let q = 0; q < half; q++) this.#halfTaps[q] = (h[q]! + h[tapsPerPhase - 1 - q]!) / 2;
    }
    const kernelTaps = this.#pairTaps.length > 0 ? this.#pairTaps : this.#halfTaps;
    this.#simd = opts.simd !== false && kernelTaps.length > 0 ? FirSimd.create(kernelTaps, tapsPerPhase, half) : undefined;
    this.#sliceSamples = this.#simd === undefined ? MAX_SLICE_SAMPLES : SIMD_SLICE_SAMPLES;
    this.#work = this.#simd?.work ?? new Float64Array(tapsPerPhase - 1 + MAX_SLICE_SAMPLES);
  }

  /** Whether the WebAssembly SIMD loops run (false where they are unavailable, or for 24→16 kHz). */
  get simd(): boolean {
    return this.#simd !== undefined;
  }

  process(input: Int16Array): Int16Array {
    if (this.#disposed) throw new Error('FirResampler used after dispose()');
    const { up, down } = this.design;
    const out = this.#output.reserve(Math.ceil((input.length * up) / down) + 1);
    let produced = 0;
    const sliceSamples = this.#sliceSamples;
    for (let start = 0; start < input.length; start += sliceSamples) {
      const slice = input.length <= sliceSamples ? input : input.subarray(start, start + sliceSamples);
      produced = this.#processSlice(slice, out, produced);
    }
    return this.#output.view(produced);
  }

  reset(): void {
    this.#work.fill(0);
    this.#phase = 0;
    this.#nextFirst = 0;
  }

  dispose(): void {
    this.#disposed = true;
    this.#output.release();
  }

  #processSlice(input: Int16Array, out: Int16Array, outputStart: number): number {
    const work = this.#work;
    const history = this.#tapsPerPhase - 1;
    const length = input.length;
    work.set(input, history);
    const simd = this.#simd;
    const produced =
      this.#pairTaps.length > 0
        ? simd
          ? this.#interpolateByTwoSimd(simd, length, out, outputStart)
          : this.#interpolateByTwo(length, out, outputStart)
        : this.#halfTaps.length > 0
          ? simd
            ? this.#decimateSimd(simd, length, out, outputStart)
            : this.#decimate(length, out, outputStart)
          : this.#polyphase(length, out, outputStart);
    work.copyWithin(0, length, length + history);
    return produced;
  }

  /**
   * 8→16 kHz hot path. Both phases read the same window, so each input sample is loaded once for
   * two outputs. Every input yields exactly two outputs, so a slice always starts at phase 0.
   */
  #interpolateByTwo(length: number, out: Int16Array, outputStart: number): number {
    const work = this.#work;
    const taps = this.#pairTaps;
    const last = this.#tapsPerPhase - 1;
    const half = this.#tapsPerPhase / 2;
    let o = outputStart;
    for (let first = 0; first < length; first++) {
      let sum0 = 0;
      let sum1 = 0;
      let diff0 = 0;
      let diff1 = 0;
      const mirror = first + last;
      for (let j = 0; j < half; j += 2) {
        const a0 = work[first + j]!;
        const b0 = work[mirror - j]!;
        const a1 = work[first + j + 1]!;
        const b1 = work[mirror - j - 1]!;
        sum0 += taps[2 * j]! * (a0 + b0);
        diff0 += taps[2 * j + 1]! * (a0 - b0);
        sum1 += taps[2 * j + 2]! * (a1 + b1);
        diff1 += taps[2 * j + 3]! * (a1 - b1);
      }
      const sum = sum0 + sum1;
      const diff = diff0 + diff1;
      out[o++] = toInt16(sum + diff);
      out[o++] = toInt16(sum - diff);
    }
    return o;
  }

  /** 24→8 and 16→8 kHz hot path: an output every `down` inputs, folding the symmetric halves. */
  #decimate(length: number, out: Int16Array, outputStart: number): number {
    const work = this.#work;
    const taps = this.#halfTaps;
    const half = taps.length;
    const last = this.#tapsPerPhase - 1;
    const down = this.design.down;
    let o = outputStart;
    let first = this.#nextFirst;
    for (; first < length; first += down) {
      // Four independent sums break the floating-point add chain: about twice one accumulator's speed.
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      const mirror = first + last;
      for (let q = 0; q < half; q += 4) {
        s0 += taps[q]! * (work[first + q]! + work[mirror - q]!);
        s1 += taps[q + 1]! * (work[first + q + 1]! + work[mirror - q - 1]!);
        s2 += taps[q + 2]! * (work[first + q + 2]! + work[mirror - q - 2]!);
        s3 += taps[q + 3]! * (work[first + q + 3]! + work[mirror - q - 3]!);
      }
      out[o++] = toInt16(s0 + s1 + (s2 + s3));
    }
    this.#nextFirst = first - length;
    return o;
  }

  #interpolateByTwoSimd(simd: FirSimd, length: number, out: Int16Array, outputStart: number): number {
    simd.interpolateByTwo(length);
    const sums = simd.sums;
    let o = outputStart;
    for (let i = 0; i < 2 * length; i += 2) {
      const sum = sums[i]!;
      const diff = sums[i + 1]!;
      out[o++] = toInt16(sum + diff);
      out[o++] = toInt16(sum - diff);
    }
    return o;
  }

  #decimateSimd(simd: FirSimd, length: number, out: Int16Array, outputStart: number): number {
    const first = this.#nextFirst;
    const count = simd.decimate(this.design.down, first, length);
    const sums = simd.sums;
    let o = outputStart;
    for (let k = 0; k < count; k++) out[o++] = toInt16(sums[k]!);
    this.#nextFirst = first + count * this.design.down - length;
    return o;
  }

  /** Any other ratio (24→16 kHz): step through the phases. */
  #polyphase(length: number, out: Int16Array, outputStart: number): number {
    const work = this.#work;
    const phases = this.#phases;
    const nextPhase = this.#nextPhase;
    const inputAdvance = this.#inputAdvance;
    const tapCount = this.#tapsPerPhase;
    let phase = this.#phase;
    let first = this.#nextFirst;
    let o = outputStart;
    while (first < length) {
      const taps = phases[phase]!;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let q = 0; q < tapCount; q += 4) {
        const w = first + q;
        s0 += taps[q]! * work[w]!;
        s1 += taps[q + 1]! * work[w + 1]!;
        s2 += taps[q + 2]! * work[w + 2]!;
        s3 += taps[q + 3]! * work[w + 3]!;
      }
      out[o++] = toInt16(s0 + s1 + (s2 + s3));
      first += inputAdvance[phase]!;
      phase = nextPhase[phase]!;
    }
    this.#phase = phase;
    this.#nextFirst = first - length;
    return o;
  }
}

function toInt16(value: number): number {
  const rounded = Math.round(value);
  return rounded > 32_767 ? 32_767 : rounded < -32_768 ? -32_768 : rounded;
}
