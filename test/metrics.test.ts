/**
 * /metrics as an operator reads it: calls admitted, refused and ended through a real registry
 * (and its typed events) come out as the Prometheus series the README names.
 */
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CallRecord } from '../src/call/call-record.js';
import { CallRegistry } from '../src/call/registry.js';
import { emptyCounts } from '../src/media/fork-counts.js';
import { createMetrics } from '../src/metrics.js';
import { sampleRecord } from './records/sample-record.js';
import { TEST_IDENTITY, TEST_SETTINGS, testProfile } from './support/call-harness.js';
import { FakeAiConnector } from './support/fake-ai.js';
import { FakeLeg } from './support/fake-leg.js';
import { simpleResamplerFactory } from './support/simple-resampler.js';

function registry(maxConcurrentCalls = 10): CallRegistry {
  let n = 0;
  return new CallRegistry({
    resolveAgent: (dialed) =>
      dialed === '+15550100'
        ? { profile: testProfile(), openTools: () => ({ run: () => Promise.resolve({ output: '{}', then: { action: 'none' } }) }) }
        : undefined,
    maxConcurrentCalls,
    settings: TEST_SETTINGS,
    connectAi: new FakeAiConnector().connect,
    createResampler: simpleResamplerFactory,
    logger: pino({ level: 'silent' }),
    newCallId: () => `call-${++n}`,
  });
}

/** One series' value, by metric name and labels (exact match); undefined when it is absent. */
async function valueOf(
  metrics: ReturnType<typeof createMetrics>,
  name: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> {
  // Histograms list their _bucket, _sum and _count series under the histogram's name.
  const series = (await metrics.registry.getMetricsAsJSON()).flatMap((m) =>
    m.values.map((v) => ({ name: (v as { metricName?: string }).metricName ?? m.name, labels: v.labels, value: v.value })),
  );
  return series.find(
    (v) =>
      v.name === name &&
      Object.keys(labels).length === Object.keys(v.labels).length &&
      Object.entries(labels).every(([k, value]) => String(v.labels[k]) === value),
  )?.value;
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('metrics from the call registry', () => {
  it('a call: active while it runs, then counted by end reason and agent with its duration', async () => {
    const calls = registry();
    const metrics = createMetrics(calls);
    const records: CallRecord[] = [];
    calls.on('ended', (record) => records.push(record));
    expect((await calls.admit(TEST_IDENTITY, new FakeLeg())).accepted).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(await valueOf(metrics, 'bridge_calls_active')).toBe(1);

    await vi.advanceTimersByTimeAsync(4_000);
    await calls.list()[0]!.hangup('caller_hangup');
    expect(await valueOf(metrics, 'bridge_calls_active')).toBe(0);
    expect(await valueOf(metrics, 'bridge_calls_ended_total', { reason: 'caller_hangup', agent: 'support' })).toBe(1);
    expect(await valueOf(metrics, 'bridge_call_duration_seconds_count')).toBe(1);
    expect(await valueOf(metrics, 'bridge_call_duration_seconds_sum')).toBe(records[0]!.durationMs / 1000);
    expect(await valueOf(metrics, 'bridge_call_duration_seconds_bucket', { le: '5' })).toBe(1);
  });

  it('refusals by reason', async () => {
    const calls = registry(1);
    const metrics = createMetrics(calls);
    expect((await calls.admit({ ...TEST_IDENTITY, externalId: 'CA3', to: '+19990000' }, new FakeLeg())).accepted).toBe(false);
    expect((await calls.admit(TEST_IDENTITY, new FakeLeg())).accepted).toBe(true);
    expect((await calls.admit({ ...TEST_IDENTITY, externalId: 'CA2' }, new FakeLeg())).accepted).toBe(false);
    calls.drain();
    expect((await calls.admit({ ...TEST_IDENTITY, externalId: 'CA4' }, new FakeLeg())).accepted).toBe(false);
    expect(await valueOf(metrics, 'bridge_calls_rejected_total', { reason: 'capacity' })).toBe(1);
    expect(await valueOf(metrics, 'bridge_calls_rejected_total', { reason: 'unknown_number' })).toBe(1);
    expect(await valueOf(metrics, 'bridge_calls_rejected_total', { reason: 'draining' })).toBe(1);
    await calls.hangupAll('shutdown');
  });

  it("an ended call's record: first audio, turn latencies, barge-ins, tokens and model errors", async () => {
    const calls = registry();
    const metrics = createMetrics(calls);
    // The registry's event as the call core emits it, with a record whose figures are known.
    calls.emit(
      'ended',
      sampleRecord({
        stats: {
          firstAudioMs: 240,
          turnLatenciesMs: [180, 420, 2500],
          uplinkFrames: 1,
          downlinkFramesSent: 1,
          uplinkFramesDropped: 0,
          lateAudioDropped: 0,
          uplinkOverBudgetMs: 0,
          reconnects: 0,
          rollovers: 0,
          failedReconnects: 0,
          aiErrors: 2,
        },
      }),
    );
    expect(await valueOf(metrics, 'bridge_first_audio_ms_bucket', { le: '250' })).toBe(1);
    expect(await valueOf(metrics, 'bridge_first_audio_ms_bucket', { le: '100' })).toBe(0);
    expect(await valueOf(metrics, 'bridge_turn_latency_ms_count')).toBe(3);
    expect(await valueOf(metrics, 'bridge_turn_latency_ms_sum')).toBe(3100);
    expect(await valueOf(metrics, 'bridge_turn_latency_ms_bucket', { le: '200' })).toBe(1);
    expect(await valueOf(metrics, 'bridge_turn_latency_ms_bucket', { le: '500' })).toBe(2);
    expect(await valueOf(metrics, 'bridge_barge_ins_total')).toBe(1);
    expect(await valueOf(metrics, 'bridge_model_tokens_total', { direction: 'input' })).toBe(120);
    expect(await valueOf(metrics, 'bridge_model_tokens_total', { direction: 'output' })).toBe(80);
    expect(await valueOf(metrics, 'bridge_model_errors_total')).toBe(2);
  });
});

describe('metrics fed by the adapters', () => {
  it('SIP refusals by status, records and webhooks, and the fork counters read at scrape time', async () => {
    const metrics = createMetrics(registry());
    metrics.sipRefused(486);
    metrics.sipRefused(486);
    metrics.sipRefused(403);
    metrics.records.recordsWritten(3, 1.5);
    metrics.records.recordWriteFailed();
    metrics.records.recordsExpired(7);
    metrics.records.webhookDelivery('delivered');
    metrics.records.webhookDelivery('dropped');
    metrics.records.webhookRetry();
    metrics.records.recordingFailed();
    const counts = emptyCounts();
    metrics.forkEndpoint(() => counts);
    counts.connections = 2;
    counts.rejected.unauthorized = 4;
    counts.authFailures.bad_token = 3;

    expect(await valueOf(metrics, 'bridge_sip_invites_refused_total', { status: '486' })).toBe(2);
    expect(await valueOf(metrics, 'bridge_sip_invites_refused_total', { status: '403' })).toBe(1);
    expect(await valueOf(metrics, 'bridge_records_written_total')).toBe(3);
    expect(await valueOf(metrics, 'bridge_records_write_ms_count')).toBe(1);
    expect(await valueOf(metrics, 'bridge_records_write_failures_total')).toBe(1);
    expect(await valueOf(metrics, 'bridge_records_expired_total')).toBe(7);
    expect(await valueOf(metrics, 'bridge_webhook_deliveries_total', { outcome: 'delivered' })).toBe(1);
    expect(await valueOf(metrics, 'bridge_webhook_deliveries_total', { outcome: 'dropped' })).toBe(1);
    expect(await valueOf(metrics, 'bridge_webhook_retries_total')).toBe(1);
    expect(await valueOf(metrics, 'bridge_recording_failures_total')).toBe(1);
    expect(await valueOf(metrics, 'bridge_media_connections')).toBe(2);
    expect(await valueOf(metrics, 'bridge_media_refused_total', { reason: 'unauthorized' })).toBe(4);
    expect(await valueOf(metrics, 'bridge_media_auth_failures_total', { reason: 'bad_token' })).toBe(3);

    // Read again at the next scrape, not accumulated.
    counts.connections = 0;
    expect(await valueOf(metrics, 'bridge_media_connections')).toBe(0);
    expect(await valueOf(metrics, 'bridge_media_refused_total', { reason: 'unauthorized' })).toBe(4);
  });
});
