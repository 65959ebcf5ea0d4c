import { describe, expect, it } from 'vitest';
import type { ResamplerFactory, StreamResampler } from '../../src/audio/resampler.js';
import {
  aliasDb,
  aliasProbeTonesHz,
  componentFrequenciesHz,
  delayMs,
  passbandDeviationDb,
} from '../../src/bench/dsp-quality.js';

/** Deliberately bad resamplers, to show the measurements catch what they claim to. */
function fakeFactory(make: (fromHz: number, toHz: number) => (input: Int16Array) => Int16Array): ResamplerFactory {
  return (fromHz, toHz) => {
    let run = make(fromHz, toHz);
    const resampler: StreamResampler = {
      fromHz,
      toHz,
      delayMs: 0,
      process: (input) => run(input),
      reset: () => {
        run = make(fromHz, toHz);
      },
      dispose: () => undefined,
    };
    return Promise.resolve(resampler);
  };
}

/** Keeps every third sample, no filter: every alias passes at full level. */
const plainDecimator = fakeFactory((fromHz, toHz) => {
  const step = fromHz / toHz;
  let phase = 0;
  return (input) => {
    const out: number[] = [];
    for (; phase < input.length; phase += step) out.push(input[phase]!);
    phase -= input.length;
    return Int16Array.from(out);
  };
});

/** Repeats each sample (zero-order hold): images only a few dB down and a 2 dB droop at 3.4 kHz. */
const sampleRepeater = fakeFactory(
  () => (input) => Int16Array.from({ length: input.length * 2 }, (_, i) => input[i >> 1]!),
);

/** Same rate, output delayed by `samples`; `heldBack` more stay inside (aligned, like libsamplerate). */
function delayLine(samples: number, heldBack = 0): ResamplerFactory {
  return fakeFactory(() => {
    const queue: number[] = new Array<number>(samples).fill(0);
    return (input) => {
      queue.push(...input);
      return Int16Array.from(queue.splice(0, Math.max(0, queue.length - samples - heldBack)));
    };
  });
}

describe('dsp-quality measurements', () => {
  it('lists where 24 → 8 kHz folds tones above 4 kHz', () => {
    const probes = aliasProbeTonesHz({ fromHz: 24_000, toHz: 8000 }, { lowHz: 300, highHz: 3400 });
    expect(probes).toEqual(expect.arrayContaining([4600, 5000, 6000, 7000, 11_000]));
    expect(Math.min(...probes)).toBeGreaterThan(4000);
    expect(Math.max(...probes)).toBeLessThan(12_000);
    expect(componentFrequenciesHz({ fromHz: 24_000, toHz: 8000 }, 11_000)).toEqual([3000]);
    expect(componentFrequenciesHz({ fromHz: 8000, toHz: 16_000 }, 1000)).toEqual([1000, 7000]);
    expect(componentFrequenciesHz({ fromHz: 24_000, toHz: 16_000 }, 3400)).toEqual([3400, 4600]);
  });

  it('reports aliases at 0 dB for decimation without a filter', async () => {
    const level = await aliasDb(plainDecimator, { fromHz: 24_000, toHz: 8000 });
    expect(level).toBeGreaterThan(-1);
    expect(await passbandDeviationDb(plainDecimator, { fromHz: 24_000, toHz: 8000 })).toBeLessThan(0.01);
  });

  it('reports the images and droop of sample repetition', async () => {
    expect(await aliasDb(sampleRepeater, { fromHz: 8000, toHz: 16_000 })).toBeGreaterThan(-12);
    expect(await passbandDeviationDb(sampleRepeater, { fromHz: 8000, toHz: 16_000 })).toBeGreaterThan(2);
  });

  it('measures delay from the output, including samples held back', async () => {
    expect(await delayMs(delayLine(37), { fromHz: 8000, toHz: 8000 })).toBeCloseTo((37 / 8000) * 1000, 4);
    expect(await delayMs(delayLine(10, 20), { fromHz: 8000, toHz: 8000 })).toBeCloseTo((30 / 8000) * 1000, 4);
    expect(await delayMs(delayLine(0), { fromHz: 16_000, toHz: 16_000 })).toBeCloseTo(0, 4);
  });
});
