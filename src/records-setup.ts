/**
 * The records side of the bridge, built from configuration: the call-records store and its
 * writer, the end-of-call webhook, call recordings, and their retention sweeps. The composition
 * root (app.ts) asks for it once and wires it to the registry and the HTTP server.
 */
import { resolve } from 'node:path';
import type { CallAudioTap } from './call/call.js';
import type { Config } from './config/schema.js';
import type { Logger } from './log.js';
import { createCallRecordings, type CallRecordings } from './recording/call-recordings.js';
import type { CallStore } from './call/call-store.js';
import { attachRecordWriter, type EndedCalls, type RecordWriter } from './records/record-writer.js';
import { NO_RECORDS_METRICS, type RecordsMetrics } from './records/records-metrics.js';
import { DAY_MS, RETENTION_SWEEP_INTERVAL_MS, startRetentionTimer, type RetentionTimer } from './records/retention-timer.js';
import { openSqliteCallStore } from './records/sqlite-call-store.js';
import { WebhookSender } from './records/webhook-sender.js';

/** Longest wait at shutdown for webhook deliveries still queued. */
const WEBHOOK_SHUTDOWN_GRACE_MS = 5000;
/** Longest wait at shutdown for recordings to be finished on disk. */
const RECORDING_SHUTDOWN_GRACE_MS = 2000;

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export interface RecordsSetup {
  store: CallStore;
  recordings: CallRecordings | undefined;
  webhook: WebhookSender | undefined;
  /** For the registry's createAudioTap: a recorder per call when recording is on. */
  createAudioTap: ((callId: string, sampleRateHz: number) => CallAudioTap) | undefined;
  /** Write every ended call; counts go to `metrics` from now on. */
  attach(calls: EndedCalls, metrics: RecordsMetrics): void;
  /** Start the retention sweeps. */
  start(): void;
  /** Resolves when no retention sweep is running. */
  sweepsIdle(): Promise<void>;
  /** Write what is queued, give the webhook a moment, close the database. */
  close(): Promise<void>;
}

/** `sharedStore`: the cluster's PostgreSQL store (records.store: postgres); else the SQLite file. */
export function setupRecords(config: Config, logger: Logger, sharedStore?: CallStore): RecordsSetup {
  const log = logger.child({ component: 'records' });
  const { records: settings, secrets } = config;
  // Metrics are created after the registry, which needs createAudioTap from here: bound late.
  let metrics = NO_RECORDS_METRICS;
  const counts: RecordsMetrics = {
    recordsWritten: (count, durationMs) => metrics.recordsWritten(count, durationMs),
    recordWriteFailed: () => metrics.recordWriteFailed(),
    recordsExpired: (count) => metrics.recordsExpired(count),
    webhookDelivery: (outcome) => metrics.webhookDelivery(outcome),
    webhookRetry: () => metrics.webhookRetry(),
    recordingFailed: () => metrics.recordingFailed(),
  };

  if (settings.webhook.url !== null && !secrets.recordsWebhookSecret) {
    throw new Error('records.webhook.url is set but RECORDS_WEBHOOK_SECRET is not: webhooks are always signed');
  }
  const dbPath = settings.dbPath === ':memory:' ? settings.dbPath : resolve(settings.dbPath);
  const store = sharedStore ?? openSqliteCallStore(dbPath);
  const webhook =
    settings.webhook.url === null
      ? undefined
      : new WebhookSender({
          url: settings.webhook.url,
          secret: secrets.recordsWebhookSecret!,
          timeoutMs: settings.webhook.timeoutMs,
          retries: settings.webhook.retries,
          logger: log.child({ part: 'webhook' }),
          metrics: counts,
        });
  const recordings = settings.recording.enabled
    ? createCallRecordings(resolve(settings.recording.dir), (callId, err) => {
        log.error({ callId, err: err.message }, 'call recording failed');
        counts.recordingFailed();
      })
    : undefined;

  let writer: RecordWriter | undefined;
  const timers: RetentionTimer[] = [];

  return {
    store,
    recordings,
    webhook,
    createAudioTap: recordings ? (callId, sampleRateHz) => recordings.open(callId, sampleRateHz) : undefined,
    attach(calls, recordsMetrics) {
      metrics = recordsMetrics;
      writer = attachRecordWriter(calls, { store, ...(webhook ? { webhook } : {}), logger: log, metrics: counts });
    },
    start() {
      if (settings.retentionDays > 0) {
        timers.push(
          startRetentionTimer({
            what: 'call records',
            intervalMs: RETENTION_SWEEP_INTERVAL_MS,
            sweep: async () => {
              const deleted = await store.deleteEndedBefore(Date.now() - settings.retentionDays * DAY_MS);
              counts.recordsExpired(deleted);
              return deleted;
            },
            logger: log,
          }),
        );
      }
      if (recordings && settings.recording.retentionDays > 0) {
        timers.push(
          startRetentionTimer({
            what: 'call recordings',
            intervalMs: RETENTION_SWEEP_INTERVAL_MS,
            sweep: () => recordings.deleteOlderThan(Date.now() - settings.recording.retentionDays * DAY_MS),
            logger: log,
          }),
        );
      }
      log.info(
        { webhook: webhook !== undefined, recording: recordings !== undefined, retentionDays: settings.retentionDays },
        'call records enabled',
      );
    },
    sweepsIdle: async () => {
      await Promise.all(timers.map((timer) => timer.idle()));
    },
    async close() {
      for (const timer of timers) timer.stop();
      await Promise.all(timers.splice(0).map((timer) => timer.idle()));
      await writer?.detach();
      await webhook?.close(WEBHOOK_SHUTDOWN_GRACE_MS);
      await store.close();
      // Calls have ended by now; their recordings only need their headers patched.
      if (recordings) await Promise.race([recordings.finished(), delay(RECORDING_SHUTDOWN_GRACE_MS)]);
    },
  };
}
