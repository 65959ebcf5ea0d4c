import { describe, expect, it } from 'vitest';
import { measureCreateCost, measureMediaCost } from '../../src/bench/media-cost.js';

describe('media cost benchmark', () => {
  it('reports inbound and outbound CPU per 20 ms and their sum', async () => {
    const cost = await measureMediaCost('fir', { repetitions: 3, repetitionMs: 10 });
    expect(cost.inboundUs).toBeGreaterThan(0);
    expect(cost.outboundUs).toBeGreaterThan(0);
    // The figure itself is the benchmark's (npm run bench), not a bar a unit test can hold.
    expect(cost.usPer20ms).toBeCloseTo(cost.inboundUs + cost.outboundUs, 9);
  });

  it('refuses deltas that are not whole 20 ms frames', async () => {
    await expect(measureMediaCost('fir', { deltaMs: 30 })).rejects.toThrow(RangeError);
  });

  it('reports how long creating a resampler pair blocks', async () => {
    const cost = await measureCreateCost('fir', { pairs: 5 });
    expect(cost.worstMs).toBeGreaterThanOrEqual(cost.medianMs);
    expect(cost.medianMs).toBeGreaterThan(0);
  });
});
