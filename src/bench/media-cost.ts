/**
 * CPU cost of one call's media work per 20 ms of audio, both directions, with a given resampler
 * backend, in the form the bridge does it:
 *
 * - inbound: a 160-byte mu-law frame → PCM16 8 kHz → 16 kHz → base64 (what the model client sends);
 * - outbound: a base64 24 kHz delta (100 ms by default) → PCM16 → 8 kHz → 20 ms frames → mu-law,
 *   divided by the number of 20 ms frames in the delta.
 *
 * JSON and WebSocket work are left out: they cost the same whatever the resampler, and the audio
 * path measurements put them at two to three times the DSP. Time is process CPU time
 * (`process.cpuUsage`, so GC and JIT threads count and waiting for a busy core does not); each
 * figure is the median of several repetitions after a warm-up.
 */
import { mulawDecode, mulawEncode } from '../audio/g711.js';
import { Framer } from '../audio/framer.js';
import type { LsrConverter } from '../audio/lsr-resampler.js';
import { pcm16FromBase64, pcm16ToBase64 } from '../audio/pcm.js';
import type { ResamplerBackend, StreamResampler } from '../audio/resampler.js';
import { createResamplerFactory } from '../audio/resampler-factory.js';

export interface MediaCostOptions {
  /** Repetitions per direction; the median is reported. Default 7. */
  repetitions?: number;
  /** CPU time one repetition aims for. Default 120 ms. */
  repetitionMs?: number;
  /** Length of the model's audio deltas. Default 100 ms (the model sends 40–200 ms). */
  deltaMs?: number;
  lsrConverter?: LsrConverter;
}

export interface MediaCost {
  /** Inbound plus outbound: the media CPU one call costs per 20 ms of audio. */
  usPer20ms: number;
  inboundUs: number;
  outboundUs: number;
}

export interface CreateCost {
  /** The first pair of this run; in a fresh process libsamplerate's first instance costs the most. */
  firstMs: number;
  medianMs: number;
  worstMs: number;
}

const PHONE_HZ = 8000;
const MODEL_IN_HZ = 16_000;
const MODEL_OUT_HZ = 24_000;
const FRAME_MS = 20;
const WARM_UP_ITERATIONS = 300;
/** Distinct inputs cycled through, so branch predictors and caches see varied audio. */
const INPUT_VARIANTS = 16;

/** Speech-band stand-in: a gliding fundamental with harmonics and some noise, −12 dBFS-ish. */
function programme(rateHz: number, count: number, seed: number): Int16Array {
  const samples = new Int16Array(count);
  let state = seed >>> 0;
  let phase = 0;
  for (let n = 0; n < count; n++) {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    const pitchHz = 140 + 60 * Math.sin((2 * Math.PI * n) / rateHz);
    phase += (2 * Math.PI * pitchHz) / rateHz;
    const voiced = Math.sin(phase) + 0.5 * Math.sin(2 * phase) + 0.3 * Math.sin(5 * phase) + 0.2 * Math.sin(13 * phase);
    samples[n] = Math.round(4000 * voiced + 1500 * (state / 0x1_0000_0000 - 0.5));
  }
  return samples;
}

function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Median CPU µs per call of `step`, sized so each repetition takes about `repetitionMs`. */
function timeStep(step: () => void, repetitions: number, repetitionMs: number): number {
  const warmStart = cpuMicros();
  for (let i = 0; i < WARM_UP_ITERATIONS; i++) step();
  const estimateUs = Math.max(0.05, (cpuMicros() - warmStart) / WARM_UP_ITERATIONS);
  const iterations = Math.max(100, Math.ceil((repetitionMs * 1000) / estimateUs));
  const perCall: number[] = [];
  for (let r = 0; r < repetitions; r++) {
    const start = cpuMicros();
    for (let i = 0; i < iterations; i++) step();
    perCall.push((cpuMicros() - start) / iterations);
  }
  return median(perCall);
}

function inboundStep(up: StreamResampler): { step: () => void; sink: () => number } {
  const frameBytes = (PHONE_HZ * FRAME_MS) / 1000;
  const frames = Array.from({ length: INPUT_VARIANTS }, (_, i) =>
    Buffer.from(mulawEncode(programme(PHONE_HZ, frameBytes, i + 1))),
  );
  const pcm = new Int16Array(frameBytes);
  let next = 0;
  let checksum = 0;
  const step = () => {
    mulawDecode(frames[next]!, pcm);
    next = (next + 1) % INPUT_VARIANTS;
    const audio = pcm16ToBase64(up.process(pcm));
    checksum += audio.length;
  };
  return { step, sink: () => checksum };
}

function outboundStep(down: StreamResampler, deltaMs: number): { step: () => void; sink: () => number } {
  const deltas = Array.from({ length: INPUT_VARIANTS }, (_, i) =>
    pcm16ToBase64(programme(MODEL_OUT_HZ, (MODEL_OUT_HZ * deltaMs) / 1000, i + 101)),
  );
  const framer = new Framer((PHONE_HZ * FRAME_MS) / 1000);
  let next = 0;
  let checksum = 0;
  const step = () => {
    const pcm24k = pcm16FromBase64(deltas[next]!);
    next = (next + 1) % INPUT_VARIANTS;
    for (const frame of framer.push(down.process(pcm24k))) {
      // A new buffer per frame, as the media leg sends (and may queue) each one.
      const bytes = mulawEncode(frame, new Uint8Array(frame.length));
      checksum += bytes[0]!;
    }
  };
  return { step, sink: () => checksum };
}

export async function measureMediaCost(backend: ResamplerBackend, options: MediaCostOptions = {}): Promise<MediaCost> {
  const repetitions = options.repetitions ?? 7;
  const repetitionMs = options.repetitionMs ?? 120;
  const deltaMs = options.deltaMs ?? 100;
  if (deltaMs % FRAME_MS !== 0) throw new RangeError(`deltaMs must be a multiple of ${FRAME_MS}`);
  const factory = createResamplerFactory(backend, { lsrConverter: options.lsrConverter });
  const up = await factory(PHONE_HZ, MODEL_IN_HZ);
  const down = await factory(MODEL_OUT_HZ, PHONE_HZ);
  try {
    const inbound = inboundStep(up);
    const outbound = outboundStep(down, deltaMs);
    const inboundUs = timeStep(inbound.step, repetitions, repetitionMs);
    const outboundUs = timeStep(outbound.step, repetitions, repetitionMs) / (deltaMs / FRAME_MS);
    // Reading the sinks keeps the work observable, so no step can be optimised away.
    if (!Number.isFinite(inbound.sink() + outbound.sink())) throw new Error('media cost sink overflowed');
    return { usPer20ms: inboundUs + outboundUs, inboundUs, outboundUs };
  } finally {
    up.dispose();
    down.dispose();
  }
}

/**
 * How long creating one call's resampler pair (8→16 kHz and 24→8 kHz) keeps the event loop busy:
 * libsamplerate does all its work synchronously inside a Promise-returning `create()`.
 */
export async function measureCreateCost(
  backend: ResamplerBackend,
  options: { pairs?: number; lsrConverter?: LsrConverter } = {},
): Promise<CreateCost> {
  const pairs = options.pairs ?? 8;
  const factory = createResamplerFactory(backend, { lsrConverter: options.lsrConverter });
  const costsMs: number[] = [];
  for (let i = 0; i < pairs; i++) {
    const start = performance.now();
    const up = await factory(PHONE_HZ, MODEL_IN_HZ);
    const down = await factory(MODEL_OUT_HZ, PHONE_HZ);
    costsMs.push(performance.now() - start);
    up.dispose();
    down.dispose();
  }
  return { firstMs: costsMs[0]!, medianMs: median(costsMs), worstMs: Math.max(...costsMs) };
}
