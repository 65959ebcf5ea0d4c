/**
 * Writes each ended call's record to the store and hands it to the webhook, off the call path:
 * the registry's 'ended' listener only queues the record; the write starts on the next turn of
 * the event loop, batched with any other calls that ended meanwhile, and its failures are logged
 * and counted, never thrown back into the call's teardown.
 */
import type { Logger } from 'pino';
import type { CallRecord } from '../call/call-record.js';
import type { CallStore } from '../call/call-store.js';
import type { RecordsMetrics } from './records-metrics.js';

/** The registry's 'ended' event, as far as the writer needs it. */
export interface EndedCalls {
  on(event: 'ended', listener: (record: CallRecord) => void): unknown;
  off(event: 'ended', listener: (record: CallRecord) => void): unknown;
}

export interface RecordWriterDeps {
  store: CallStore;
  /** The end-of-call webhook, when one is configured. */
  webhook?: { enqueue(record: CallRecord): void };
  logger: Logger;
  metrics: RecordsMetrics;
}

export interface RecordWriter {
  /** Resolves once every record queued so far is written (or has failed). */
  flush(): Promise<void>;
  /** Stop listening and write what is queued (shutdown). */
  detach(): Promise<void>;
}

export function attachRecordWriter(calls: EndedCalls, deps: RecordWriterDeps): RecordWriter {
  let pending: CallRecord[] = [];
  let scheduled: NodeJS.Immediate | undefined;
  const writing = new Set<Promise<void>>();

  const write = async (batch: CallRecord[]): Promise<void> => {
    const startedAt = performance.now();
    try {
      await deps.store.put(batch);
      deps.metrics.recordsWritten(batch.length, performance.now() - startedAt);
      return;
    } catch {
      // The batch failed as a whole: write one by one so one bad record costs only itself.
    }
    for (const record of batch) {
      try {
        const oneStartedAt = performance.now();
        await deps.store.put([record]);
        deps.metrics.recordsWritten(1, performance.now() - oneStartedAt);
      } catch (err) {
        deps.metrics.recordWriteFailed();
        deps.logger.error({ callId: record.callId, err: errorText(err) }, 'call record not written');
      }
    }
  };

  const flush = (): Promise<void> => {
    if (scheduled !== undefined) clearImmediate(scheduled);
    scheduled = undefined;
    const batch = pending;
    pending = [];
    if (batch.length > 0) {
      const done = write(batch).finally(() => writing.delete(done));
      writing.add(done);
      // The webhook does not wait for the store: the receiver may be the only place a record survives.
      for (const record of batch) {
        try {
          deps.webhook?.enqueue(record);
        } catch (err) {
          deps.logger.error({ callId: record.callId, err: errorText(err) }, 'call record not queued for the webhook');
        }
      }
    }
    return Promise.all(writing).then(() => undefined);
  };

  const onEnded = (record: CallRecord): void => {
    pending.push(record);
    scheduled ??= setImmediate(() => void flush());
  };
  calls.on('ended', onEnded);

  return {
    flush,
    detach() {
      calls.off('ended', onEnded);
      return flush();
    },
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
