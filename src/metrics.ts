/**
 * Prometheus metrics: every name in one place, fed from the registry's typed events so the call
 * core never imports prom-client.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CallRegistry } from './call/registry.js';
import type { ForkCounts } from './media/fork-counts.js';
import type { RecordsMetrics } from './records/records-metrics.js';

export interface BridgeMetrics {
  registry: Registry;
  /** An INVITE was refused with this SIP status. */
  sipRefused(status: number): void;
  /** Call records, end-of-call webhooks and recordings. */
  records: RecordsMetrics;
  /** Publish the fork endpoint's counters (read at each scrape). */
  forkEndpoint(counts: () => ForkCounts): void;
}

export function createMetrics(calls: CallRegistry): BridgeMetrics {
  const registry = new Registry();
  // Node process metrics (CPU, resident memory, heap, event-loop lag, open handles, GC), read at
  // scrape time: the first place to look when calls sound choppy.
  collectDefaultMetrics({ register: registry });
  const active = new Gauge({ name: 'bridge_calls_active', help: 'Calls in progress', registers: [registry] });
  const ended = new Counter({
    name: 'bridge_calls_ended_total',
    help: 'Calls ended, by end reason',
    labelNames: ['reason', 'agent'] as const,
    registers: [registry],
  });
  const rejected = new Counter({
    name: 'bridge_calls_rejected_total',
    help: 'Calls refused at admission, by reason',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'bridge_call_duration_seconds',
    help: 'Call duration',
    buckets: [5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200],
    registers: [registry],
  });
  const firstAudio = new Histogram({
    name: 'bridge_first_audio_ms',
    help: 'Call start to the first agent audio sent to the caller',
    buckets: [100, 250, 500, 750, 1000, 1500, 2000, 3000, 5000],
    registers: [registry],
  });
  const turnLatency = new Histogram({
    name: 'bridge_turn_latency_ms',
    help: "Model's end-of-speech to the first agent audio sent, per turn",
    buckets: [100, 200, 300, 500, 750, 1000, 1500, 2000, 3000],
    registers: [registry],
  });
  const bargeIns = new Counter({ name: 'bridge_barge_ins_total', help: 'Caller interruptions of agent audio', registers: [registry] });
  const tokens = new Counter({
    name: 'bridge_model_tokens_total',
    help: 'Model tokens reported in response.done usage',
    labelNames: ['direction'] as const,
    registers: [registry],
  });
  const aiErrors = new Counter({ name: 'bridge_model_errors_total', help: 'Model error events', registers: [registry] });
  const sessionChanges = new Counter({
    name: 'bridge_model_session_changes_total',
    help: 'Model sessions replaced under a live call: reconnect (after a drop), rollover (before the cap), failed (an attempt that did not open)',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const reconnectGap = new Histogram({
    name: 'bridge_model_reconnect_gap_ms',
    help: "A lost model session to the new session's first audio (the reconnect line plays meanwhile); 0 for a quiet roll-over",
    buckets: [0, 250, 500, 1000, 2000, 3000, 5000, 10000, 15000],
    registers: [registry],
  });

  calls.on('started', () => active.inc());
  calls.on('rejected', (reason) => rejected.inc({ reason }));
  calls.on('ended', (record) => {
    active.dec();
    ended.inc({ reason: record.endReason, agent: record.agentId });
    duration.observe(record.durationMs / 1000);
    if (record.stats.firstAudioMs !== undefined) firstAudio.observe(record.stats.firstAudioMs);
    for (const latency of record.stats.turnLatenciesMs) turnLatency.observe(latency);
    bargeIns.inc(record.bargeIns.length);
    tokens.inc({ direction: 'input' }, record.usage.inputTokens);
    tokens.inc({ direction: 'output' }, record.usage.outputTokens);
    aiErrors.inc(record.stats.aiErrors);
    sessionChanges.inc({ kind: 'reconnect' }, record.stats.reconnects);
    sessionChanges.inc({ kind: 'rollover' }, record.stats.rollovers);
    sessionChanges.inc({ kind: 'failed' }, record.stats.failedReconnects);
    for (const session of record.modelSessions) if (session.callerGapMs !== undefined) reconnectGap.observe(session.callerGapMs);
  });
  const sipRefused = new Counter({
    name: 'bridge_sip_invites_refused_total',
    help: 'INVITEs refused, by SIP status',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  return {
    registry,
    sipRefused: (status) => sipRefused.inc({ status: String(status) }),
    records: createRecordsMetrics(registry),
    forkEndpoint: (counts) => forkMetrics(registry, counts),
  };
}

function createRecordsMetrics(registry: Registry): RecordsMetrics {
  const written = new Counter({ name: 'bridge_records_written_total', help: 'Call records written to the store', registers: [registry] });
  const writeFailures = new Counter({
    name: 'bridge_records_write_failures_total',
    help: 'Call records that could not be written (logged)',
    registers: [registry],
  });
  const writeMs = new Histogram({
    name: 'bridge_records_write_ms',
    help: 'Time from handing a batch of call records to the writer thread to its commit',
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 100],
    registers: [registry],
  });
  const expired = new Counter({
    name: 'bridge_records_expired_total',
    help: 'Call records deleted by the retention sweep',
    registers: [registry],
  });
  const deliveries = new Counter({
    name: 'bridge_webhook_deliveries_total',
    help: 'End-of-call webhook deliveries, by outcome (delivered, failed after retries, dropped: queue full or shutdown)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const retries = new Counter({ name: 'bridge_webhook_retries_total', help: 'End-of-call webhook attempts retried', registers: [registry] });
  const recordingFailures = new Counter({
    name: 'bridge_recording_failures_total',
    help: 'Call recordings abandoned or left unfinished (logged)',
    registers: [registry],
  });
  return {
    recordsWritten(count, durationMs) {
      written.inc(count);
      writeMs.observe(durationMs);
    },
    recordWriteFailed: () => writeFailures.inc(),
    recordsExpired: (count) => expired.inc(count),
    webhookDelivery: (outcome) => deliveries.inc({ outcome }),
    webhookRetry: () => retries.inc(),
    recordingFailed: () => recordingFailures.inc(),
  };
}

/** The fork endpoint keeps plain counters; these mirror them at scrape time. */
function forkMetrics(registry: Registry, counts: () => ForkCounts): void {
  new Counter({
    name: 'bridge_media_refused_total',
    help: 'Media streams refused or closed before or instead of a call, by reason (unknown_path, unauthorized, rate_limited, start_timeout, admission_refused, protocol_error)',
    labelNames: ['reason'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, n] of Object.entries(counts().rejected)) this.inc({ reason }, n);
    },
  });
  new Counter({
    name: 'bridge_media_auth_failures_total',
    help: 'Media upgrades that failed authentication, by reason (missing_credentials, bad_token, bad_signature)',
    labelNames: ['reason'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, n] of Object.entries(counts().authFailures)) this.inc({ reason }, n);
    },
  });
  new Gauge({
    name: 'bridge_media_connections',
    help: 'Media stream sockets open now',
    registers: [registry],
    collect() {
      this.set(counts().connections);
    },
  });
}
