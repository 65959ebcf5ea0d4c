/**
 * libsamplerate (libsamplerate-js 2.1.2) behind the StreamResampler interface, for when a
 * deployment prefers the reference C algorithm to the JS FIR.
 *
 * What the wrapper has to get right about that library:
 * - It is asm.js-style JavaScript, not WebAssembly, and every instance instantiates its own module
 *   with a private 25 MiB heap. `create()` blocks the event loop for 5–25 ms despite returning a
 *   Promise. Under call churn glibc zero-fills those heaps unless the process runs with
 *   `GLIBC_TUNABLES=glibc.malloc.mmap_threshold=1048576` (about 54 MB RSS per call otherwise).
 * - Only `full()` streams. `simple()` resets the state per call (clicks) and, once called, leaves
 *   `end_of_input` set so that later `full()` calls return almost nothing; it is never called here.
 * - `full(data, dataOut, outLength)` returns the whole `dataOut`; the frame count is in
 *   `outLength.frames`. `dataOut` must hold `ratio × input` frames or it throws a string.
 * - Samples are floats in [−1, 1] with no clamping on the way out; sinc filters overshoot.
 * - `full()` after `destroy()` silently uses freed state, so this wrapper refuses it.
 * - The sinc types hold back their lookahead: the first call returns fewer samples. That hold-back
 *   is the whole delay (the output is otherwise time-aligned), so it is measured once at creation
 *   and reported as `delayMs` (SINC_MEDIUM: about 5.9 ms up, 5.75 ms down; BEST: 18 ms).
 * - `full()` never flushes: the last `delayMs` of a stream stay inside until more input arrives.
 */
import LibSampleRate from '@alexanderolsen/libsamplerate-js';
import { OutputBuffer } from './output-buffer.js';
import type { StreamResampler } from './resampler.js';

type LsrInstance = Awaited<ReturnType<typeof LibSampleRate.create>>;

/**
 * The sinc converters only. ZERO_ORDER_HOLD and LINEAR do no anti-aliasing (24→8 kHz passes
 * aliases at 0 dB), so they are not offered. SINC_FASTEST is −8.8 dB at 3.4 kHz (80% bandwidth),
 * SINC_BEST adds 18 ms per direction; SINC_MEDIUM is the default.
 */
export type LsrConverter = 'sinc-best' | 'sinc-medium' | 'sinc-fastest';

export const DEFAULT_LSR_CONVERTER: LsrConverter = 'sinc-medium';

const CONVERTER_TYPES = {
  'sinc-best': LibSampleRate.ConverterType.SRC_SINC_BEST_QUALITY,
  'sinc-medium': LibSampleRate.ConverterType.SRC_SINC_MEDIUM_QUALITY,
  'sinc-fastest': LibSampleRate.ConverterType.SRC_SINC_FASTEST,
} as const;

/** Keeps each call far below the library's 1,008,000-sample I/O buffers, past which it ignores `dataOut`. */
const MAX_SLICE_SAMPLES = 65_536;
/** Room beyond ceil(ratio × n): a call may release a sample more than its own share. */
const OUTPUT_SLACK_SAMPLES = 16;
const PRIMING_BLOCK_MS = 50;
const MAX_PRIMING_BLOCKS = 10;

/** The library throws strings; turn whatever it threw into an Error that says where it came from. */
function libraryError(what: string, thrown: unknown): Error {
  if (thrown instanceof Error) return new Error(`libsamplerate ${what}: ${thrown.message}`, { cause: thrown });
  return new Error(`libsamplerate ${what}: ${String(thrown)}`);
}

export class LsrResampler implements StreamResampler {
  readonly fromHz: number;
  readonly toHz: number;
  readonly delayMs: number;
  readonly converter: LsrConverter;

  #src: LsrInstance | undefined;
  readonly #ratio: number;
  #floatIn = new Float32Array(0);
  #floatInView = this.#floatIn;
  #floatOut = new Float32Array(0);
  readonly #frames = { frames: 0 };
  readonly #output = new OutputBuffer();

  /** Use `createLsrResampler`: the library can only be instantiated asynchronously. */
  constructor(src: LsrInstance, converter: LsrConverter, fromHz: number, toHz: number) {
    this.#src = src;
    this.converter = converter;
    this.fromHz = fromHz;
    this.toHz = toHz;
    this.#ratio = toHz / fromHz;
    this.delayMs = this.#measureHoldBackMs();
  }

  process(input: Int16Array): Int16Array {
    const src = this.#live();
    const out = this.#output.reserve(Math.ceil(input.length * this.#ratio) + OUTPUT_SLACK_SAMPLES);
    let produced = 0;
    for (let start = 0; start < input.length; start += MAX_SLICE_SAMPLES) {
      const slice = input.length <= MAX_SLICE_SAMPLES ? input : input.subarray(start, start + MAX_SLICE_SAMPLES);
      produced = this.#processSlice(src, slice, out, produced);
    }
    return this.#output.view(produced);
  }

  #processSlice(src: LsrInstance, input: Int16Array, out: Int16Array, outputStart: number): number {
    const length = input.length;
    if (this.#floatIn.length < length) {
      this.#floatIn = new Float32Array(length);
      this.#floatOut = new Float32Array(Math.ceil(length * this.#ratio) + OUTPUT_SLACK_SAMPLES);
    }
    if (this.#floatInView.length !== length || this.#floatInView.buffer !== this.#floatIn.buffer) {
      this.#floatInView = this.#floatIn.subarray(0, length);
    }
    const floatIn = this.#floatInView;
    for (let i = 0; i < length; i++) floatIn[i] = input[i]! / 32_768;
    const floatOut = this.#floatOut;
    try {
      src.full(floatIn, floatOut, this.#frames);
    } catch (thrown) {
      throw libraryError('full()', thrown);
    }
    const frames = this.#frames.frames;
    if (frames < 0) throw new Error(`libsamplerate full() failed with error code ${frames}`);
    if (frames > floatOut.length || outputStart + frames > out.length) {
      throw new Error(`libsamplerate produced ${frames} frames for ${length} input samples; output would be cut`);
    }
    let o = outputStart;
    for (let i = 0; i < frames; i++) {
      const rounded = Math.round(floatOut[i]! * 32_768);
      out[o++] = rounded > 32_767 ? 32_767 : rounded < -32_768 ? -32_768 : rounded;
    }
    return o;
  }

  /**
   * Push silence through until output appears, count the samples that did not come out, then
   * start afresh. One block is enough for every converter measured (BEST holds back 18 ms).
   */
  #measureHoldBackMs(): number {
    const block = new Int16Array(Math.round((this.fromHz * PRIMING_BLOCK_MS) / 1000));
    let fed = 0;
    let produced = 0;
    for (let i = 0; i < MAX_PRIMING_BLOCKS && produced === 0; i++) {
      produced += this.process(block).length;
      fed += block.length;
    }
    this.reset();
    if (produced === 0) {
      throw new Error(`libsamplerate held back more than ${MAX_PRIMING_BLOCKS * PRIMING_BLOCK_MS} ms`);
    }
    return ((fed * this.#ratio - produced) * 1000) / this.toHz;
  }

  reset(): void {
    const src = this.#live();
    try {
      // The converterType setter runs src_delete + src_new: fresh filter state, same module and heap.
      src.converterType = CONVERTER_TYPES[this.converter];
    } catch (thrown) {
      throw libraryError('reset', thrown);
    }
  }

  dispose(): void {
    const src = this.#src;
    if (src === undefined) return;
    this.#src = undefined;
    // destroy() frees only the C state; dropping the reference lets GC free the 25 MiB heap.
    if (!src.isDestroyed) src.destroy();
    this.#floatIn = new Float32Array(0);
    this.#floatInView = this.#floatIn;
    this.#floatOut = new Float32Array(0);
    this.#output.release();
  }

  #live(): LsrInstance {
    const src = this.#src;
    if (src === undefined || src.isDestroyed) throw new Error('LsrResampler used after dispose()');
    return src;
  }
}

export interface LsrResamplerOptions {
  converter?: LsrConverter;
}

export async function createLsrResampler(
  fromHz: number,
  toHz: number,
  options: LsrResamplerOptions = {},
): Promise<LsrResampler> {
  for (const [name, rateHz] of [['fromHz', fromHz], ['toHz', toHz]] as const) {
    if (!Number.isInteger(rateHz) || rateHz <= 0) {
      throw new RangeError(`${name} must be a positive integer number of hertz, got ${rateHz}`);
    }
  }
  // At equal rates the library hands back its input and never sets the frame count.
  if (fromHz === toHz) throw new RangeError('libsamplerate needs two different rates; use IdentityResampler');
  const converter = options.converter ?? DEFAULT_LSR_CONVERTER;
  let src: LsrInstance;
  try {
    src = await LibSampleRate.create(1, fromHz, toHz, { converterType: CONVERTER_TYPES[converter] });
  } catch (thrown) {
    throw libraryError('create()', thrown);
  }
  return new LsrResampler(src, converter, fromHz, toHz);
}
