import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { CallRegistry } from '../src/call/registry.js';
import { createMetrics } from '../src/metrics.js';
import { FakeAiConnector } from './support/fake-ai.js';
import { TEST_SETTINGS } from './support/call-harness.js';
import { simpleResamplerFactory } from './support/simple-resampler.js';
import { sampleRecord } from './records/sample-record.js';

describe('continuity metrics', () => {
  it('count reconnects, roll-overs and failed attempts, and observe the caller gap, from each ended call', async () => {
    const calls = new CallRegistry({
      resolveAgent: () => undefined,
      maxConcurrentCalls: 1,
      settings: TEST_SETTINGS,
      connectAi: new FakeAiConnector().connect,
      createResampler: simpleResamplerFactory,
      logger: pino({ level: 'silent' }),
      newCallId: () => 'c1',
    });
    const metrics = createMetrics(calls);
    calls.emit('ended', {
      ...sampleRecord(),
      stats: { ...sampleRecord().stats, reconnects: 1, rollovers: 2, failedReconnects: 3 },
      modelSessions: [
        { sessionId: 'a', openedAtMs: 0, end: 'dropped' },
        { sessionId: 'b', openedAtMs: 10, end: 'rolled_over', callerGapMs: 1200 },
        { sessionId: 'c', openedAtMs: 20, end: 'call_ended', callerGapMs: 0 },
      ],
    });
    const text = await metrics.registry.metrics();
    expect(text).toContain('bridge_model_session_changes_total{kind="reconnect"} 1');
    expect(text).toContain('bridge_model_session_changes_total{kind="rollover"} 2');
    expect(text).toContain('bridge_model_session_changes_total{kind="failed"} 3');
    expect(text).toContain('bridge_model_reconnect_gap_ms_count 2');
    expect(text).toContain('bridge_model_reconnect_gap_ms_sum 1200');
  });
});
