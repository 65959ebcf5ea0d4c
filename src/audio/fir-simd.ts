/**
 * The FIR resampler's hot loops in WebAssembly SIMD (fir-kernels.wat), bit-identical to the
 * JavaScript loops and about twice as fast. One module per process, one instance (one 64 KiB
 * page) per resampler: the page holds the taps, the work window and the output sums, laid out
 * here. Where WebAssembly SIMD is missing the resampler keeps its JavaScript loops.
 */
import { FIR_KERNELS_WASM_BASE64 } from './fir-kernels-wasm.js';

/** The part of the WebAssembly API used here (the project's TypeScript libs do not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}
const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

interface KernelExports {
  memory: { buffer: ArrayBuffer };
  decimate(work: number, taps: number, half: number, last: number, down: number, first: number, length: number, out: number): number;
  interpolateByTwo(work: number, taps: number, half: number, last: number, length: number, out: number): void;
}

/** Input samples per kernel call: what fits in one page beside the taps and the sums. */
export const SIMD_SLICE_SAMPLES = 2048;
const PAGE_BYTES = 65_536;
const TAPS_BYTES = 2048;

let compiled: object | null | undefined;

function kernelModule(): object | undefined {
  if (compiled === undefined) {
    try {
      // Throws where WebAssembly or its SIMD instructions are missing.
      if (wasm === undefined) throw new Error('no WebAssembly');
      compiled = new wasm.Module(Buffer.from(FIR_KERNELS_WASM_BASE64, 'base64'));
    } catch {
      compiled = null;
    }
  }
  return compiled ?? undefined;
}

export class FirSimd {
  /** Float64 view of the work window: `tapsPerPhase − 1` samples of history, then the input slice. */
  readonly work: Float64Array;
  /** Float64 view of the sums the last call wrote. */
  readonly sums: Float64Array;
  readonly #kernels: KernelExports;
  readonly #workAt: number;
  readonly #sumsAt: number;
  readonly #half: number;
  readonly #last: number;

  /** Undefined when WebAssembly SIMD is not available here or the taps do not fit. */
  static create(taps: Float64Array, tapsPerPhase: number, half: number): FirSimd | undefined {
    const module = kernelModule();
    if (module === undefined || taps.byteLength > TAPS_BYTES) return undefined;
    const kernels = new wasm!.Instance(module).exports as KernelExports;
    return new FirSimd(kernels, taps, tapsPerPhase, half);
  }

  private constructor(kernels: KernelExports, taps: Float64Array, tapsPerPhase: number, half: number) {
    this.#kernels = kernels;
    this.#half = half;
    this.#last = tapsPerPhase - 1;
    const buffer = kernels.memory.buffer;
    new Float64Array(buffer, 0, taps.length).set(taps);
    this.#workAt = TAPS_BYTES;
    const workSamples = tapsPerPhase - 1 + SIMD_SLICE_SAMPLES;
    this.work = new Float64Array(buffer, this.#workAt, workSamples);
    this.#sumsAt = this.#workAt + workSamples * 8;
    // Interpolation writes two sums per input sample; decimation fewer than one.
    this.sums = new Float64Array(buffer, this.#sumsAt, 2 * SIMD_SLICE_SAMPLES);
    if (this.#sumsAt + this.sums.byteLength > PAGE_BYTES) throw new RangeError('FIR work does not fit one page');
  }

  /** Writes one sum per output; returns how many. */
  decimate(down: number, first: number, length: number): number {
    return this.#kernels.decimate(this.#workAt, 0, this.#half, this.#last, down, first, length, this.#sumsAt);
  }

  /** Writes (sum, diff) per input sample. */
  interpolateByTwo(length: number): void {
    this.#kernels.interpolateByTwo(this.#workAt, 0, this.#half, this.#last, length, this.#sumsAt);
  }
}
