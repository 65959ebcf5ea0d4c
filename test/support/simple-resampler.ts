/**
 * A resampler for call-logic tests: sample repetition / picking, exact lengths, no filtering.
 * Keeps the call tests independent of DSP quality, which test/audio covers.
 */
import type { ResamplerFactory, StreamResampler } from '../../src/audio/resampler.js';

export const simpleResamplerFactory: ResamplerFactory = (fromHz, toHz) => {
  let phase = 0;
  const resampler: StreamResampler = {
    fromHz,
    toHz,
    delayMs: 0,
    process(input) {
      const out: number[] = [];
      for (const sample of input) {
        phase += toHz;
        while (phase >= fromHz) {
          out.push(sample);
          phase -= fromHz;
        }
      }
      return Int16Array.from(out);
    },
    reset() {
      phase = 0;
    },
    dispose() {},
  };
  return Promise.resolve(resampler);
};
