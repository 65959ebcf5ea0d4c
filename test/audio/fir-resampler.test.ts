import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { firDesignFor } from '../../src/audio/fir-design.js';
import { FirResampler } from '../../src/audio/fir-resampler.js';
import { createResamplerFactory } from '../../src/audio/resampler-factory.js';
import { measureAliases, measurePassband, measureQuality } from '../../src/bench/dsp-quality.js';
import { firstDifference, randomSizes, runChunked, testSignal } from './signals.js';

const fir = createResamplerFactory('fir');

const DIRECTIONS = [
  { fromHz: 8000, toHz: 16_000, tapCount: 64 },
  { fromHz: 24_000, toHz: 8000, tapCount: 96 },
  { fromHz: 16_000, toHz: 8000, tapCount: 64 },
  { fromHz: 24_000, toHz: 16_000, tapCount: 96 },
];

describe('FIR design', () => {
  it.each(DIRECTIONS)('$fromHz → $toHz Hz: $tapCount taps, β=7, cutoff at half the lower rate', (direction) => {
    const { fromHz, toHz, tapCount } = direction;
    const design = firDesignFor(fromHz, toHz);
    expect(design.tapCount).toBe(tapCount);
    expect(design.kaiserBeta).toBe(7);
    expect(design.cutoffHz).toBe(Math.min(fromHz, toHz) / 2);
    expect(design.tapCount % design.up).toBe(0);
  });

  it('rejects rates that are not positive integers or need too many phases', () => {
    expect(() => firDesignFor(0, 8000)).toThrow(RangeError);
    expect(() => firDesignFor(8000.5, 16_000)).toThrow(RangeError);
    expect(() => firDesignFor(44_100, 48_000)).toThrow(/phases/);
  });
});

describe.each(DIRECTIONS)('FIR $fromHz → $toHz Hz', ({ fromHz, toHz }) => {
  const direction = { fromHz, toHz };

  it('is flat ±0.5 dB over 300–3400 Hz, images/aliases ≤ −60 dB, delay ≤ 3 ms as declared', async () => {
    const quality = await measureQuality(fir, direction);
    expect(quality.passbandDeviationDb).toBeLessThan(0.5);
    expect(quality.aliasDb).toBeLessThan(-60);
    expect(quality.delayMs).toBeLessThanOrEqual(3);
    expect(quality.delayMs).toBeCloseTo(quality.declaredDelayMs, 3);
  });

  it('gives bit-identical output for any chunking', () => {
    const input = testSignal(fromHz, fromHz, 7); // one second
    const oneShot = new FirResampler(fromHz, toHz).process(input).slice();
    expect(oneShot.length).toBe(toHz);
    for (const [seed, min, max] of [[1, 1, 7], [2, 1, 1000], [3, 100, 500]] as const) {
      const streamed = runChunked(new FirResampler(fromHz, toHz), input, randomSizes(400, min, max, seed));
      expect(firstDifference(streamed, oneShot)).toBeUndefined();
    }
  });

  it('forgets everything on reset()', () => {
    const input = testSignal(fromHz / 10, fromHz, 3);
    const resampler = new FirResampler(fromHz, toHz);
    const fresh = resampler.process(input).slice();
    resampler.process(testSignal(fromHz / 50 + 1, fromHz, 9)); // odd length leaves a phase behind
    resampler.reset();
    expect(firstDifference(resampler.process(input).slice(), fresh)).toBeUndefined();
  });
});

describe('FIR 24 → 8 kHz', () => {
  it('keeps tones at 4.6, 5, 6, 7 and 11 kHz from folding into the phone band', async () => {
    const levels = await measureAliases(fir, { fromHz: 24_000, toHz: 8000 });
    const foldedTo = new Map(levels.map((level) => [level.inputHz, level]));
    const folds = [[4600, 3400], [5000, 3000], [6000, 2000], [7000, 1000], [11_000, 3000]] as const;
    for (const [inputHz, outputHz] of folds) {
      expect(foldedTo.get(inputHz)?.outputHz).toBe(outputHz);
      expect(foldedTo.get(inputHz)?.levelDb).toBeLessThan(-70);
    }
  });

  it('takes 20 ms chunks of 480 and returns exactly 160 samples each time', () => {
    const resampler = new FirResampler(24_000, 8000);
    const input = testSignal(480 * 5, 24_000);
    for (let i = 0; i < 5; i++) expect(resampler.process(input.subarray(i * 480, (i + 1) * 480)).length).toBe(160);
  });
});

describe('FIR 24 → 16 kHz (wideband leg)', () => {
  const band = { lowHz: 300, highHz: 6800 };

  it('is flat to 6.8 kHz and keeps aliases out of 0–6.8 kHz', async () => {
    const passband = await measurePassband(fir, { fromHz: 24_000, toHz: 16_000 }, band);
    expect(Math.max(...passband.map((level) => Math.abs(level.levelDb)))).toBeLessThan(0.1);
    const aliases = await measureAliases(fir, { fromHz: 24_000, toHz: 16_000 }, band);
    expect(aliases.some((level) => level.inputHz > 8000)).toBe(true);
    expect(Math.max(...aliases.map((level) => level.levelDb))).toBeLessThan(-65);
  });
});

describe('FirResampler buffers and limits', () => {
  it('reuses its output array for repeated chunk sizes', () => {
    const resampler = new FirResampler(8000, 16_000);
    const chunk = testSignal(160, 8000);
    const first = resampler.process(chunk);
    expect(resampler.process(chunk)).toBe(first);
    expect(first.length).toBe(320);
  });

  it('clamps filter overshoot at full scale instead of wrapping', () => {
    // A full-scale square wave rings past the rails after every edge.
    const square = Int16Array.from({ length: 8000 }, (_, n) => (Math.floor(n / 40) % 2 === 0 ? 32_767 : -32_768));
    const out = new FirResampler(8000, 16_000).process(square);
    expect(Math.max(...out)).toBe(32_767);
    expect(Math.min(...out)).toBe(-32_768);
    // Well inside each half period the sign must follow the input (a wrapped int16 would flip it).
    for (let n = 200; n + 80 < out.length; n += 80) {
      expect(out[n + 40]! > 0).toBe(Math.floor((n + 40 - 32) / 80) % 2 === 0);
    }
  });

  it('handles an empty chunk and inputs longer than its work buffer', () => {
    const resampler = new FirResampler(24_000, 8000);
    expect(resampler.process(new Int16Array(0)).length).toBe(0);
    const long = testSignal(24_000 * 3, 24_000, 5);
    const whole = resampler.process(long).slice();
    const pieces = runChunked(new FirResampler(24_000, 8000), long, [480]);
    expect(firstDifference(whole, pieces)).toBeUndefined();
  });

  it('refuses to run after dispose()', () => {
    const resampler = new FirResampler(8000, 16_000);
    resampler.dispose();
    expect(() => resampler.process(new Int16Array(160))).toThrow(/dispose/);
  });
});

describe('FIR resampler: the WebAssembly SIMD loops', () => {
  it('run on this Node, for both hot paths', () => {
    expect(new FirResampler(8000, 16_000).simd).toBe(true);
    expect(new FirResampler(24_000, 8000).simd).toBe(true);
    expect(new FirResampler(8000, 16_000, { simd: false }).simd).toBe(false);
  });

  it('give bit-identical output to the JavaScript loops, for any chunking and at full scale', () => {
    for (const [fromHz, toHz] of [
      [8000, 16_000],
      [24_000, 8000],
      [16_000, 8000],
    ] as const) {
      const simd = new FirResampler(fromHz, toHz);
      const js = new FirResampler(fromHz, toHz, { simd: false });
      let state = 0x2545f491;
      let compared = 0;
      for (let chunk = 0; chunk < 200; chunk++) {
        // Sizes from 1 sample to past the SIMD slice, so the slicing and carried state are exercised.
        const input = new Int16Array(1 + ((chunk * 977) % 5000));
        for (let i = 0; i < input.length; i++) {
          state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
          // Every fifth chunk a full-scale square wave, where the filter overshoots and clamps.
          input[i] = chunk % 5 === 0 ? (state & 1 ? 32_767 : -32_768) : (state >>> 16) - 32_768;
        }
        const fromSimd = simd.process(input).slice();
        const fromJs = js.process(input);
        expect(fromSimd).toEqual(fromJs);
        compared += fromJs.length;
      }
      expect(compared).toBeGreaterThan(100_000);
    }
  });

  it('are what fir-kernels.wat compiles to (npm run build:wasm)', async () => {
    const { compiledKernelsSource } = await import('../../scripts/build-wasm.js');
    expect(readFileSync(new URL('../../src/audio/fir-kernels-wasm.ts', import.meta.url), 'utf8')).toBe(await compiledKernelsSource());
  });
});
