import { describe, expect, it } from 'vitest';
import { stageBreakdown, topFunctions } from '../../src/bench/profile-stages.js';

const node = (id: number, functionName: string, url: string, children: number[] = []) => ({
  id,
  callFrame: { functionName, url },
  children,
});

/**
 * root ─ (idle)
 *      ─ onMessage (qwen-realtime-session.ts) ─ parseServerFrame (qwen-events.ts) ─ JSON.parse (native)
 *      ─ #decimate (fir-resampler.ts)
 *      ─ (garbage collector)
 *      ─ helper (some library) ─ writev (native)
 */
const profile = {
  nodes: [
    node(1, '(root)', '', [2, 3, 6, 7, 8]),
    node(2, '(idle)', ''),
    node(3, 'onMessage', 'file:///app/src/ai/qwen-realtime-session.ts', [4]),
    node(4, 'parseServerFrame', 'file:///app/src/ai/qwen-events.ts', [5]),
    node(5, 'parse', ''),
    node(6, '#decimate', 'file:///app/src/audio/fir-resampler.ts'),
    node(7, '(garbage collector)', ''),
    node(8, 'helper', 'file:///app/node_modules/some-lib/index.js', [9]),
    node(9, 'writev', ''),
  ],
  startTime: 0,
  // 10 calls over 200 ms: 100 call-slots of 20 ms.
  endTime: 200_000,
  samples: [2, 5, 5, 6, 6, 6, 7, 9],
  // Each sample stands for the time until the next one; the last repeats its own.
  timeDeltas: [0, 1000, 1000, 1000, 1000, 1000, 1000, 1000],
};

describe('profile stages', () => {
  it('charges native work to the nearest project frame and skips idle time', () => {
    const result = stageBreakdown(profile, 10);
    // 7 busy samples of 1 ms over 100 call-slots.
    expect(result.totalUsPerCallPer20ms).toBe(70);
    expect(result.stagesUsPerCallPer20ms.model_event_parse).toBe(20);
    expect(result.stagesUsPerCallPer20ms.resample).toBe(30);
    expect(result.stagesUsPerCallPer20ms.gc).toBe(10);
    // A library frame the rules do not know, with no project frame above it.
    expect(result.stagesUsPerCallPer20ms.other).toBe(10);
    expect(result.cpuPercent).toBe(3.5);
  });

  it('lists the heaviest functions by self time', () => {
    const top = topFunctions(profile, 2);
    expect(top[0]!.fn).toMatch(/^#decimate src\/audio\/fir-resampler\.ts/);
    expect(top[0]!.selfPercent).toBeCloseTo((3 / 7) * 100, 0);
  });
});
