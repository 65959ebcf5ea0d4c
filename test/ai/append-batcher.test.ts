import { describe, expect, it } from 'vitest';
import { AppendBatcher } from '../../src/ai/append-batcher.js';
import { ramp } from './support/qwen-harness.js';

function recordingBatcher(batchSamples: number): { batcher: AppendBatcher; batches: number[][] } {
  const batches: number[][] = [];
  const batcher = new AppendBatcher(batchSamples, (pcm) => batches.push([...pcm]));
  return { batcher, batches };
}

describe('AppendBatcher', () => {
  it('cuts exact batches across frames that do not divide them', () => {
    const { batcher, batches } = recordingBatcher(4);
    batcher.push(ramp(3));
    batcher.push(ramp(3, 3));
    batcher.push(ramp(3, 6));
    expect(batches).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]);
    expect(batcher.pendingSamples).toBe(1);
  });

  it('splits one long push into several batches', () => {
    const { batcher, batches } = recordingBatcher(2);
    batcher.push(ramp(5));
    expect(batches).toEqual([
      [0, 1],
      [2, 3],
    ]);
  });

  it('flushes a partial batch and nothing when empty', () => {
    const { batcher, batches } = recordingBatcher(4);
    batcher.flush();
    batcher.push(ramp(2));
    batcher.flush();
    batcher.flush();
    expect(batches).toEqual([[0, 1]]);
  });

  it('discards a partial batch and reports its size', () => {
    const { batcher, batches } = recordingBatcher(4);
    batcher.push(ramp(3));
    expect(batcher.discard()).toBe(3);
    batcher.flush();
    expect(batches).toEqual([]);
  });

  it('refuses a batch size that is not a positive whole number', () => {
    expect(() => new AppendBatcher(0, () => undefined)).toThrow(RangeError);
    expect(() => new AppendBatcher(1.5, () => undefined)).toThrow(RangeError);
  });
});
