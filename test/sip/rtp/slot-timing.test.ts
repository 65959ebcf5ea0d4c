import { describe, expect, it } from 'vitest';
import { SlotTiming } from '../../../src/sip/rtp/slot-timing.js';

describe('send clock slot timing', () => {
  it('summarises how late slots started and finished, to the 0.05 ms bucket, and starts afresh on reset', () => {
    const timing = new SlotTiming();
    expect(timing.summary().slots).toBe(0);
    expect(timing.summary().startLateP99Ms).toBeNaN();
    for (let i = 0; i < 98; i++) timing.record(0.01, 0.12);
    timing.record(2.3, 2.9);
    timing.record(-0.2, 7.5);
    const summary = timing.summary();
    expect(summary.slots).toBe(100);
    expect(summary.startLateP50Ms).toBeCloseTo(0.05, 6);
    expect(summary.startLateP99Ms).toBeCloseTo(0.05, 6);
    expect(summary.startLateMaxMs).toBe(2.3);
    expect(summary.doneLateP50Ms).toBeCloseTo(0.15, 6);
    expect(summary.doneLateP99Ms).toBeCloseTo(2.9, 6);
    expect(summary.doneLateMaxMs).toBe(7.5);
    timing.reset();
    expect(timing.summary()).toMatchObject({ slots: 0, startLateMaxMs: 0, doneLateMaxMs: 0 });
  });
});
