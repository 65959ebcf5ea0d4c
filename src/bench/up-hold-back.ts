/**
 * 16 kHz samples the uplink resampler holds back at the start of a stream (libsamplerate's
 * lookahead), which shifts which caller frame completes each 100 ms append: the load driver's
 * fake model needs it to match appends to caller frames.
 */
import type { ResamplerBackend } from '../audio/resampler.js';
import { createResamplerFactory } from '../audio/resampler-factory.js';

export async function upHoldBackSamples(backend: ResamplerBackend): Promise<number> {
  const resampler = await createResamplerFactory(backend)(8000, 16_000);
  try {
    const frames = 10;
    let produced = 0;
    for (let i = 0; i < frames; i++) produced += resampler.process(new Int16Array(160)).length;
    return frames * 320 - produced;
  } finally {
    resampler.dispose();
  }
}
