import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { applyWorkerSlice, rtpSlice, workerIdentity } from '../src/worker-slice.js';

describe('a worker of --workers N', () => {
  it('gets its own even-aligned slice of the RTP range, the slices disjoint and inside it', () => {
    const slices = [0, 1, 2].map((index) => rtpSlice(40001, 40100, { index, count: 3 }));
    expect(slices).toEqual([
      { portMin: 40002, portMax: 40033 },
      { portMin: 40034, portMax: 40065 },
      { portMin: 40066, portMax: 40097 },
    ]);
    expect(() => rtpSlice(40000, 40003, { index: 0, count: 3 })).toThrow(/too small for 3 workers/);
  });

  it('is told its place by the primary, and refuses a local-only quota it could not keep', () => {
    expect(workerIdentity({ BRIDGE_WORKER_INDEX: '1', BRIDGE_WORKER_COUNT: '2' })).toEqual({ index: 1, count: 2 });
    expect(workerIdentity({})).toBeUndefined();
    expect(workerIdentity({ BRIDGE_WORKER_INDEX: '2', BRIDGE_WORKER_COUNT: '2' })).toBeUndefined();
    const config = loadConfig({ QWEN_MAX_CONCURRENT_SESSIONS: '10' });
    expect(() => applyWorkerSlice(config, { index: 0, count: 2 })).toThrow(/needs records.store: postgres/);
    const shared = loadConfig({ QWEN_MAX_CONCURRENT_SESSIONS: '10', RECORDS_STORE: 'postgres' });
    applyWorkerSlice(shared, { index: 1, count: 2 });
    expect(shared.sip.rtp.portMin).toBeGreaterThan(loadConfig({}).sip.rtp.portMin);
  });
});
