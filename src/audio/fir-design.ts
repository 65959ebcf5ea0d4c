/**
 * Kaiser-windowed sinc low-pass prototypes for the polyphase resampler.
 *
 * A rational resampler from `fromHz` to `toHz` runs one low-pass filter at the intermediate rate
 * `fromHz × up` (with `up / down = toHz / fromHz` in lowest terms). The design rule for every pair:
 *
 * - cutoff (the −6 dB point) at half the lower of the two rates, so the filter removes both the
 *   images of upsampling and what would alias when decimating;
 * - Kaiser β = 7 (stopband about −70 dB);
 * - a span of 32 periods of the lower rate (4 ms when one side is 8 kHz), rounded up to a multiple
 *   of `up` so every phase has the same number of taps.
 *
 * That gives the measured reference designs: 8→16 kHz is 64 taps at 16 kHz, 24→8 kHz is 96 taps at
 * 24 kHz, 16→8 kHz is 64 taps at 16 kHz, all with fc = 4 kHz, flat to 3.4 kHz and ≥ 70 dB down from
 * 4.6 kHz. For 24→16 kHz (a wideband 16 kHz leg) it gives 96 taps at 48 kHz with fc = 8 kHz: flat
 * (±0.05 dB) to 7 kHz with aliases into 0–6.8 kHz ≤ −70 dB, so the leg keeps the wideband voice
 * the model produces, for 1 ms of delay.
 */

export interface FirDesign {
  /** Interpolation factor: `toHz / fromHz = up / down` in lowest terms. */
  readonly up: number;
  readonly down: number;
  /** Rate the prototype filter runs at (`fromHz × up`). */
  readonly filterRateHz: number;
  readonly cutoffHz: number;
  readonly kaiserBeta: number;
  /** A multiple of `up`. */
  readonly tapCount: number;
}

const KAISER_BETA = 7;
const SPAN_LOWER_RATE_PERIODS = 32;
/** Beyond this the prototype gets unreasonably long (44.1k↔48k would need 160 phases). */
const MAX_UP = 64;

function greatestCommonDivisor(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

function assertRateHz(name: string, rateHz: number): void {
  if (!Number.isInteger(rateHz) || rateHz <= 0) {
    throw new RangeError(`${name} must be a positive integer number of hertz, got ${rateHz}`);
  }
}

export function firDesignFor(fromHz: number, toHz: number): FirDesign {
  assertRateHz('fromHz', fromHz);
  assertRateHz('toHz', toHz);
  const divisor = greatestCommonDivisor(fromHz, toHz);
  const up = toHz / divisor;
  const down = fromHz / divisor;
  if (up > MAX_UP) {
    throw new RangeError(`resampling ${fromHz} Hz → ${toHz} Hz needs ${up} filter phases (limit ${MAX_UP})`);
  }
  const filterRateHz = fromHz * up;
  const lowerHz = Math.min(fromHz, toHz);
  const spanTaps = (SPAN_LOWER_RATE_PERIODS * filterRateHz) / lowerHz;
  return {
    up,
    down,
    filterRateHz,
    cutoffHz: lowerHz / 2,
    kaiserBeta: KAISER_BETA,
    tapCount: Math.ceil(spanTaps / up) * up,
  };
}

/** Modified Bessel function of the first kind, order 0, by its power series (converges fast for β ≤ 20). */
function besselI0(x: number): number {
  const quarterSquare = (x * x) / 4;
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 64; k++) {
    term *= quarterSquare / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

/**
 * Linear-phase low-pass taps (symmetric, group delay `(tapCount − 1) / 2` samples) whose sum is
 * `dcGain`: an interpolator by `up` needs a gain of `up` to make up for the inserted zeros.
 */
export function kaiserLowpass(design: FirDesign, dcGain: number): Float64Array {
  const { tapCount, cutoffHz, filterRateHz, kaiserBeta } = design;
  const taps = new Float64Array(tapCount);
  const centre = (tapCount - 1) / 2;
  const normalisedCutoff = (2 * cutoffHz) / filterRateHz;
  const windowScale = besselI0(kaiserBeta);
  let sum = 0;
  for (let n = 0; n < tapCount; n++) {
    const offset = n - centre;
    const x = Math.PI * normalisedCutoff * offset;
    const sinc = offset === 0 ? 1 : Math.sin(x) / x;
    const ratio = centre === 0 ? 0 : offset / centre;
    const window = besselI0(kaiserBeta * Math.sqrt(Math.max(0, 1 - ratio * ratio))) / windowScale;
    const tap = normalisedCutoff * sinc * window;
    taps[n] = tap;
    sum += tap;
  }
  const scale = dcGain / sum;
  for (let n = 0; n < tapCount; n++) taps[n] = taps[n]! * scale;
  return taps;
}
