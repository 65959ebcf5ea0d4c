/**
 * Resampler quality measured from the output, shared by the audio tests and the benchmark so that
 * both judge a resampler the same way.
 *
 * Tone levels come from a Blackman-Harris (4-term, −92 dB sidelobes) windowed DFT evaluated at the
 * exact frequency, over a window that starts after the filter has settled. Tones are −6 dBFS,
 * dithered, and fed in 20 ms chunks as a call would feed them. The measurement floor is about
 * −115 dB, set by the int16 output.
 *
 * - passband: the gain of single tones across the band (default 300–3400 Hz);
 * - aliases and images: every component a resampler could create that is not the input tone.
 *   An in-band tone's images count wherever they land (upsampling puts 8 kHz − f into 4.6–7.7 kHz);
 *   a tone the output cannot carry (above its Nyquist) counts where it folds into the band
 *   (24→8 kHz folds 4.6 / 5 / 6 / 7 / 11 kHz to 3.4 / 3 / 2 / 1 / 3 kHz);
 * - delay: from the phase of two close tones (1000 and 1025 Hz), which is unambiguous up to 40 ms
 *   and resolves fractions of a sample; it includes any samples a resampler holds back.
 */
import type { ResamplerFactory, StreamResampler } from '../audio/resampler.js';

export interface ResamplerDirection {
  fromHz: number;
  toHz: number;
}

export interface FrequencyBand {
  lowHz: number;
  highHz: number;
}

export const TELEPHONE_BAND: FrequencyBand = { lowHz: 300, highHz: 3400 };

export interface ToneLevel {
  /** Frequency fed in. */
  inputHz: number;
  /** Frequency measured at the output (the input tone itself, or where an image/alias lands). */
  outputHz: number;
  /** Level relative to the input tone. */
  levelDb: number;
}

export interface ResamplerQuality {
  /** Worst |gain| over the band's tones. */
  passbandDeviationDb: number;
  /** Worst image or alias (see the module comment); −Infinity when the ratio can create none. */
  aliasDb: number;
  worstAlias: ToneLevel | undefined;
  /** Measured from the output, not the declared `delayMs`. */
  delayMs: number;
  declaredDelayMs: number;
}

const TONE_AMPLITUDE = 16_384;
const CHUNK_MS = 20;
const SIGNAL_MS = 400;
/** Long enough for any filter here (libsamplerate BEST holds 18 ms) to settle. */
const SETTLE_MS = 80;
const WINDOW_MS = 250;
/** Components this close to DC or Nyquist cannot be told apart from their own mirror image. */
const EDGE_GUARD_HZ = 20;
const DELAY_TONES_HZ = [1000, 1025] as const;
/** Alignment delays down to this far below zero are read as negative, not as nearly 40 ms. */
const MAX_NEGATIVE_ALIGNMENT_S = 0.005;
/** Below the output's int16 quantisation floor; a component that rounds to silence reads as this. */
const FLOOR_DB = -140;

/**
 * A −6 dBFS sine with ±1 LSB triangular dither from a fixed seed. Without dither the rounding
 * error of a tone at a round frequency is periodic and shows up as spurs near −100 dB at exactly
 * the frequencies where images are measured; with it, the floor is noise around −115 dB.
 */
function tone(rateHz: number, frequencyHz: number, count: number): Int16Array {
  const samples = new Int16Array(count);
  const step = (2 * Math.PI * frequencyHz) / rateHz;
  let seed = 0x2545f491;
  const uniform = () => {
    seed = (Math.imul(seed, 1_664_525) + 1_013_904_223) >>> 0;
    return seed / 0x1_0000_0000;
  };
  for (let n = 0; n < count; n++) samples[n] = Math.round(TONE_AMPLITUDE * Math.sin(step * n) + uniform() - uniform());
  return samples;
}

function runInChunks(resampler: StreamResampler, input: Int16Array): Int16Array {
  const chunkSamples = Math.round((resampler.fromHz * CHUNK_MS) / 1000);
  const pieces: Int16Array[] = [];
  let total = 0;
  for (let start = 0; start < input.length; start += chunkSamples) {
    const piece = resampler.process(input.subarray(start, start + chunkSamples)).slice();
    pieces.push(piece);
    total += piece.length;
  }
  const output = new Int16Array(total);
  let at = 0;
  for (const piece of pieces) {
    output.set(piece, at);
    at += piece.length;
  }
  return output;
}

const windowCache = new Map<number, { weights: Float64Array; sum: number }>();

function blackmanHarris(length: number): { weights: Float64Array; sum: number } {
  const cached = windowCache.get(length);
  if (cached) return cached;
  const weights = new Float64Array(length);
  let sum = 0;
  for (let n = 0; n < length; n++) {
    const x = (2 * Math.PI * n) / (length - 1);
    const w = 0.35875 - 0.48829 * Math.cos(x) + 0.14128 * Math.cos(2 * x) - 0.01168 * Math.cos(3 * x);
    weights[n] = w;
    sum += w;
  }
  const window = { weights, sum };
  windowCache.set(length, window);
  return window;
}

interface Phasor {
  amplitude: number;
  /** Phase of the cosine at absolute sample index 0 of the stream. */
  phaseRad: number;
}

/** Windowed DFT at exactly `frequencyHz` over `samples[start, start + length)`. */
function measurePhasor(
  samples: Int16Array,
  rateHz: number,
  frequencyHz: number,
  start: number,
  length: number,
): Phasor {
  if (start + length > samples.length) {
    throw new Error(`analysis window ends at ${start + length} but only ${samples.length} samples came out`);
  }
  const { weights, sum } = blackmanHarris(length);
  const omega = (2 * Math.PI * frequencyHz) / rateHz;
  let re = 0;
  let im = 0;
  for (let k = 0; k < length; k++) {
    const n = start + k;
    const v = weights[k]! * samples[n]!;
    re += v * Math.cos(omega * n);
    im -= v * Math.sin(omega * n);
  }
  return { amplitude: (2 * Math.hypot(re, im)) / sum, phaseRad: Math.atan2(im, re) };
}

function levelDb(amplitude: number): number {
  return Math.max(FLOOR_DB, 20 * Math.log10(amplitude / TONE_AMPLITUDE));
}

/** Runs one tone through the freshly reset resampler; returns a probe of the settled output. */
function respond(resampler: StreamResampler, frequencyHz: number): (atHz: number) => Phasor {
  resampler.reset();
  const input = tone(resampler.fromHz, frequencyHz, Math.round((resampler.fromHz * SIGNAL_MS) / 1000));
  const output = runInChunks(resampler, input);
  const start = Math.round((resampler.toHz * SETTLE_MS) / 1000);
  const length = Math.round((resampler.toHz * WINDOW_MS) / 1000);
  return (atHz: number) => measurePhasor(output, resampler.toHz, atHz, start, length);
}

/** Band edges plus every multiple of 250 Hz between them. */
export function bandTonesHz(band: FrequencyBand): number[] {
  const tones = [band.lowHz];
  for (let f = Math.floor(band.lowHz / 250) * 250 + 250; f < band.highHz; f += 250) tones.push(f);
  tones.push(band.highHz);
  return tones;
}

function greatestCommonDivisor(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * Where a tone at `inputHz` can show up after resampling: the images of zero-stuffing by `up`
 * (k·fromHz ± f below the intermediate Nyquist), each folded at the output rate.
 */
export function componentFrequenciesHz(direction: ResamplerDirection, inputHz: number): number[] {
  const { fromHz, toHz } = direction;
  const up = toHz / greatestCommonDivisor(fromHz, toHz);
  const intermediateNyquistHz = (fromHz * up) / 2;
  const found = new Set<number>();
  for (let k = 0; k <= up; k++) {
    for (const component of [k * fromHz - inputHz, k * fromHz + inputHz]) {
      if (component < 0 || component > intermediateNyquistHz) continue;
      const wrapped = component % toHz;
      found.add(wrapped > toHz / 2 ? toHz - wrapped : wrapped);
    }
  }
  return [...found].sort((a, b) => a - b);
}

/** Input tones above the output's Nyquist whose aliases land on the band's tone grid. */
export function aliasProbeTonesHz(direction: ResamplerDirection, band: FrequencyBand): number[] {
  const { fromHz, toHz } = direction;
  const probes = new Set<number>();
  for (let k = 1; k * toHz - band.highHz < fromHz / 2; k++) {
    for (const targetHz of bandTonesHz(band)) {
      for (const probe of [k * toHz - targetHz, k * toHz + targetHz]) {
        if (probe > toHz / 2 + EDGE_GUARD_HZ && probe < fromHz / 2 - EDGE_GUARD_HZ) probes.add(probe);
      }
    }
  }
  return [...probes].sort((a, b) => a - b);
}

function passbandLevels(resampler: StreamResampler, band: FrequencyBand): ToneLevel[] {
  return bandTonesHz(band).map((inputHz) => {
    const at = respond(resampler, inputHz);
    return { inputHz, outputHz: inputHz, levelDb: levelDb(at(inputHz).amplitude) };
  });
}

function spuriousLevels(resampler: StreamResampler, band: FrequencyBand): ToneLevel[] {
  const direction = { fromHz: resampler.fromHz, toHz: resampler.toHz };
  const outputNyquistHz = resampler.toHz / 2;
  const levels: ToneLevel[] = [];
  const inBand = (hz: number) => hz >= band.lowHz && hz <= band.highHz;
  const measurable = (hz: number) => hz > EDGE_GUARD_HZ && hz < outputNyquistHz - EDGE_GUARD_HZ;
  const inputs = [...bandTonesHz(band), ...aliasProbeTonesHz(direction, band)];
  for (const inputHz of inputs) {
    // A band tone's images count wherever they land; a probe's only where it folds into the band.
    const bandTone = inputHz < outputNyquistHz;
    const targets = componentFrequenciesHz(direction, inputHz).filter(
      (hz) => measurable(hz) && Math.abs(hz - inputHz) > 1 && (bandTone || inBand(hz)),
    );
    if (targets.length === 0) continue;
    const at = respond(resampler, inputHz);
    for (const outputHz of targets) levels.push({ inputHz, outputHz, levelDb: levelDb(at(outputHz).amplitude) });
  }
  return levels;
}

function wrapRad(angle: number): number {
  const turn = 2 * Math.PI;
  return ((angle % turn) + turn) % turn;
}

/** The alignment delay of the output, from the phases of two close tones. */
function alignmentDelayS(resampler: StreamResampler): number {
  const [lowHz, highHz] = DELAY_TONES_HZ;
  // A delay τ turns sin(ωt) into sin(ω(t − τ)): the cosine phase at t = 0 is −ωτ − π/2.
  const delayPhase = (frequencyHz: number) =>
    wrapRad(-respond(resampler, frequencyHz)(frequencyHz).phaseRad - Math.PI / 2);
  const lowPhase = delayPhase(lowHz);
  const highPhase = delayPhase(highHz);
  const periodS = 1 / (highHz - lowHz);
  let coarseS = (wrapRad(highPhase - lowPhase) / (2 * Math.PI)) * periodS;
  if (coarseS > periodS - MAX_NEGATIVE_ALIGNMENT_S) coarseS -= periodS;
  const cycles = Math.round(coarseS * lowHz - lowPhase / (2 * Math.PI));
  return (lowPhase / (2 * Math.PI) + cycles) / lowHz;
}

/** How far the output count lags behind `input × toHz / fromHz` after a steady stream. */
function holdBackS(resampler: StreamResampler): number {
  resampler.reset();
  const inputSamples = Math.round((resampler.fromHz * SIGNAL_MS) / 1000);
  const produced = runInChunks(resampler, tone(resampler.fromHz, DELAY_TONES_HZ[0], inputSamples)).length;
  return inputSamples / resampler.fromHz - produced / resampler.toHz;
}

/**
 * Latency from an input sample arriving to its output leaving: the alignment delay of what comes
 * out plus the samples held back (libsamplerate's output is aligned but starts short).
 */
function measuredDelayMs(resampler: StreamResampler): number {
  return (alignmentDelayS(resampler) + holdBackS(resampler)) * 1000;
}

async function withResampler<T>(
  factory: ResamplerFactory,
  direction: ResamplerDirection,
  use: (resampler: StreamResampler) => T,
): Promise<T> {
  const resampler = await factory(direction.fromHz, direction.toHz);
  try {
    return use(resampler);
  } finally {
    resampler.dispose();
  }
}

export function measurePassband(
  factory: ResamplerFactory,
  direction: ResamplerDirection,
  band = TELEPHONE_BAND,
): Promise<ToneLevel[]> {
  return withResampler(factory, direction, (resampler) => passbandLevels(resampler, band));
}

export function measureAliases(
  factory: ResamplerFactory,
  direction: ResamplerDirection,
  band = TELEPHONE_BAND,
): Promise<ToneLevel[]> {
  return withResampler(factory, direction, (resampler) => spuriousLevels(resampler, band));
}

export async function passbandDeviationDb(
  factory: ResamplerFactory,
  direction: ResamplerDirection,
  band = TELEPHONE_BAND,
): Promise<number> {
  const levels = await measurePassband(factory, direction, band);
  return Math.max(...levels.map((level) => Math.abs(level.levelDb)));
}

export async function aliasDb(
  factory: ResamplerFactory,
  direction: ResamplerDirection,
  band = TELEPHONE_BAND,
): Promise<number> {
  const levels = await measureAliases(factory, direction, band);
  return Math.max(-Infinity, ...levels.map((level) => level.levelDb));
}

export function delayMs(factory: ResamplerFactory, direction: ResamplerDirection): Promise<number> {
  return withResampler(factory, direction, measuredDelayMs);
}

/** All three measurements on one instance (libsamplerate instances are expensive to create). */
export function measureQuality(
  factory: ResamplerFactory,
  direction: ResamplerDirection,
  band = TELEPHONE_BAND,
): Promise<ResamplerQuality> {
  return withResampler(factory, direction, (resampler) => {
    const passband = passbandLevels(resampler, band);
    const spurious = spuriousLevels(resampler, band);
    let worstAlias: ToneLevel | undefined;
    for (const level of spurious) {
      if (worstAlias === undefined || level.levelDb > worstAlias.levelDb) worstAlias = level;
    }
    return {
      passbandDeviationDb: Math.max(...passband.map((level) => Math.abs(level.levelDb))),
      aliasDb: worstAlias?.levelDb ?? -Infinity,
      worstAlias,
      delayMs: measuredDelayMs(resampler),
      declaredDelayMs: resampler.delayMs,
    };
  });
}
