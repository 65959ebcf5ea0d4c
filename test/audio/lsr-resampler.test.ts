import { describe, expect, it } from 'vitest';
import { createLsrResampler } from '../../src/audio/lsr-resampler.js';
import { createResamplerFactory } from '../../src/audio/resampler-factory.js';
import { measurePassband, measureQuality } from '../../src/bench/dsp-quality.js';
import { firstDifference, randomSizes, runChunked, testSignal } from './signals.js';

// Each instance is a 25 MiB heap and 5–25 ms of blocking work: keep the count small.
const lsr = createResamplerFactory('libsamplerate');

describe.each([
  // Measured hold-back of SINC_MEDIUM at these ratios (the library's output is otherwise aligned).
  { fromHz: 8000, toHz: 16_000, delayMs: 5.875 },
  { fromHz: 24_000, toHz: 8000, delayMs: 5.75 },
])('libsamplerate SINC_MEDIUM $fromHz → $toHz Hz', ({ fromHz, toHz, delayMs }) => {
  it('is flat over 300–3400 Hz with images/aliases ≤ −100 dB, and its delay is what it declares', async () => {
    const quality = await measureQuality(lsr, { fromHz, toHz });
    expect(quality.passbandDeviationDb).toBeLessThan(0.05);
    expect(quality.aliasDb).toBeLessThan(-100);
    expect(quality.declaredDelayMs).toBeCloseTo(delayMs, 3);
    expect(quality.delayMs).toBeCloseTo(quality.declaredDelayMs, 2);
  });

  it('gives bit-identical output for any chunking and starts afresh after reset()', async () => {
    const input = testSignal(fromHz, fromHz, 11);
    const resampler = await createLsrResampler(fromHz, toHz);
    try {
      const oneShot = resampler.process(input).slice();
      // The hold-back stays inside: one second in gives one second minus the delay out.
      expect(oneShot.length).toBe(toHz - Math.round((delayMs * toHz) / 1000));
      for (const [seed, min, max] of [[1, 1, 50], [2, 961, 4800], [3, 100, 700]] as const) {
        resampler.reset();
        const streamed = runChunked(resampler, input, randomSizes(300, min, max, seed));
        expect(firstDifference(streamed, oneShot)).toBeUndefined();
      }
    } finally {
      resampler.dispose();
    }
  });
});

describe('LsrResampler', () => {
  it('defaults to SINC_MEDIUM; SINC_FASTEST, the library default, loses 8.8 dB at 3.4 kHz', async () => {
    const medium = await createLsrResampler(8000, 16_000);
    expect(medium.converter).toBe('sinc-medium');
    medium.dispose();
    const fastest = createResamplerFactory('libsamplerate', { lsrConverter: 'sinc-fastest' });
    const levels = await measurePassband(fastest, { fromHz: 8000, toHz: 16_000 });
    const at3400 = levels.find((level) => level.inputHz === 3400);
    expect(at3400?.levelDb).toBeLessThan(-8);
  });

  it('scales, clamps and refuses use after dispose()', async () => {
    const resampler = await createLsrResampler(8000, 16_000);
    const square = Int16Array.from({ length: 4000 }, (_, n) => (Math.floor(n / 40) % 2 === 0 ? 32_767 : -32_768));
    const out = resampler.process(square);
    expect(Math.max(...out)).toBe(32_767);
    expect(Math.min(...out)).toBe(-32_768);
    resampler.dispose();
    resampler.dispose();
    expect(() => resampler.process(new Int16Array(160))).toThrow(/dispose/);
    expect(() => resampler.reset()).toThrow(/dispose/);
  });

  it('rejects equal or invalid rates with an Error', async () => {
    await expect(createLsrResampler(16_000, 16_000)).rejects.toThrow(/IdentityResampler/);
    await expect(createLsrResampler(0, 16_000)).rejects.toThrow(RangeError);
  });
});
