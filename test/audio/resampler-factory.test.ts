import { describe, expect, it } from 'vitest';
import { FirResampler } from '../../src/audio/fir-resampler.js';
import { IdentityResampler } from '../../src/audio/identity-resampler.js';
import { LsrResampler } from '../../src/audio/lsr-resampler.js';
import { createResamplerFactory } from '../../src/audio/resampler-factory.js';

describe('createResamplerFactory', () => {
  it('builds FIR resamplers for the fir backend', async () => {
    const resampler = await createResamplerFactory('fir')(8000, 16_000);
    expect(resampler).toBeInstanceOf(FirResampler);
    expect([resampler.fromHz, resampler.toHz]).toEqual([8000, 16_000]);
    expect(resampler.delayMs).toBeCloseTo(1.97, 2);
  });

  it('builds libsamplerate resamplers for the libsamplerate backend', async () => {
    const resampler = await createResamplerFactory('libsamplerate')(24_000, 8000);
    expect(resampler).toBeInstanceOf(LsrResampler);
    resampler.dispose();
  });

  it.each(['fir', 'libsamplerate'] as const)('%s: equal rates give a copying identity resampler', async (backend) => {
    const resampler = await createResamplerFactory(backend)(16_000, 16_000);
    expect(resampler).toBeInstanceOf(IdentityResampler);
    expect(resampler.delayMs).toBe(0);
    const input = Int16Array.from([1, -2, 3, 32_767, -32_768]);
    const out = resampler.process(input);
    expect(out).not.toBe(input);
    expect(Array.from(out)).toEqual(Array.from(input));
    input[0] = 99; // the caller may reuse its buffer; the output stays what was passed
    expect(out[0]).toBe(1);
  });

  it('rejects impossible rates as a rejected promise', async () => {
    await expect(createResamplerFactory('fir')(-8000, 16_000)).rejects.toThrow(RangeError);
    await expect(createResamplerFactory('fir')(0, 0)).rejects.toThrow(RangeError);
  });
});
