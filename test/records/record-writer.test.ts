import { EventEmitter } from 'node:events';
import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import type { CallRecord } from '../../src/call/call-record.js';
import type { CallStore } from '../../src/call/call-store.js';
import { attachRecordWriter } from '../../src/records/record-writer.js';
import { NO_RECORDS_METRICS } from '../../src/records/records-metrics.js';
import { openSqliteCallStore } from '../../src/records/sqlite-call-store.js';
import { sampleRecord } from './sample-record.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('the record writer', () => {
  it('writes after the ended event returns, batching calls that ended together, then queues them for the webhook', async () => {
    const calls = new EventEmitter<{ ended: [CallRecord] }>();
    const store = openSqliteCallStore(':memory:');
    const put = vi.spyOn(store, 'put');
    const webhook = { enqueue: vi.fn() };
    const recordsWritten = vi.fn();
    const writer = attachRecordWriter(calls, { store, webhook, logger: pino({ level: 'silent' }), metrics: { ...NO_RECORDS_METRICS, recordsWritten } });

    const [a, b] = [sampleRecord(), sampleRecord()];
    calls.emit('ended', a);
    calls.emit('ended', b);
    expect(put).not.toHaveBeenCalled();
    await tick();
    expect(put).toHaveBeenCalledTimes(1);
    await writer.flush();
    expect((await store.query({ limit: 10 })).calls).toHaveLength(2);
    expect(webhook.enqueue.mock.calls.map(([r]) => (r as CallRecord).callId)).toEqual([a.callId, b.callId]);
    expect(recordsWritten).toHaveBeenCalledWith(2, expect.any(Number));
    await store.close();
  });

  it('never throws into the call: a failed write is logged and counted, the others are kept', async () => {
    const calls = new EventEmitter<{ ended: [CallRecord] }>();
    const inner = openSqliteCallStore(':memory:');
    const bad = sampleRecord();
    const store: CallStore = {
      ...inner,
      put(records) {
        if (records.some((r) => r.callId === bad.callId)) return Promise.reject(new Error('disk full'));
        return inner.put(records);
      },
    };
    const lines: Array<{ msg: string; callId?: string }> = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => lines.push(JSON.parse(line) as { msg: string }) });
    const recordWriteFailed = vi.fn();
    const webhook = { enqueue: vi.fn() };
    const writer = attachRecordWriter(calls, { store, webhook, logger, metrics: { ...NO_RECORDS_METRICS, recordWriteFailed } });

    const good = sampleRecord();
    expect(() => {
      calls.emit('ended', bad);
      calls.emit('ended', good);
    }).not.toThrow();
    await tick();
    await writer.flush();
    expect(recordWriteFailed).toHaveBeenCalledTimes(1);
    expect(lines).toEqual([expect.objectContaining({ msg: 'call record not written', callId: bad.callId })]);
    expect(await inner.getJson(good.callId)).toBeDefined();
    // The webhook still gets both: the receiver may be the only place a record survives.
    expect(webhook.enqueue).toHaveBeenCalledTimes(2);
    await inner.close();
  });

  it('writes what is queued when detached (shutdown)', async () => {
    const calls = new EventEmitter<{ ended: [CallRecord] }>();
    const store = openSqliteCallStore(':memory:');
    const writer = attachRecordWriter(calls, { store, logger: pino({ level: 'silent' }), metrics: NO_RECORDS_METRICS });
    const record = sampleRecord();
    calls.emit('ended', record);
    await writer.detach();
    expect(await store.getJson(record.callId)).toBeDefined();
    expect(calls.listenerCount('ended')).toBe(0);
    await store.close();
  });
});
