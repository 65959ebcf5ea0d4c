import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CallStore } from '../../src/call/call-store.js';
import { SCHEMA_VERSION } from '../../src/records/migrations.js';
import { openSqliteCallStore } from '../../src/records/sqlite-call-store.js';
import { sampleRecord } from './sample-record.js';

let dir: string;
let store: CallStore | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'qpb-store-'));
});
afterEach(async () => {
  await store?.close();
  store = undefined;
  rmSync(dir, { recursive: true, force: true });
});

describe('the SQLite call store', () => {
  it('creates its folder and schema, records the migration, and keeps records across reopening', async () => {
    const path = join(dir, 'nested', 'calls.sqlite');
    store = openSqliteCallStore(path);
    const record = sampleRecord();
    await store.put([record]);
    await store.close();

    const raw = new Database(path, { readonly: true });
    const versions = raw.prepare('SELECT version, name FROM schema_migrations').all();
    const indexes = raw.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'calls'").pluck().all();
    raw.close();
    expect(versions).toEqual([{ version: SCHEMA_VERSION, name: 'calls' }]);
    expect(indexes).toEqual(expect.arrayContaining(['calls_by_start', 'calls_by_end', 'calls_by_external_id', 'calls_by_from', 'calls_by_to', 'calls_by_agent', 'calls_by_end_reason']));

    store = openSqliteCallStore(path);
    expect(JSON.parse(store.getJson(record.callId)!)).toEqual(record);
    expect(store.getJson('nope')).toBeUndefined();
  });

  it('refuses a database written by a newer bridge', async () => {
    const path = join(dir, 'calls.sqlite');
    await openSqliteCallStore(path).close();
    const raw = new Database(path);
    raw.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(SCHEMA_VERSION + 1, 'future', 0);
    raw.close();
    expect(() => openSqliteCallStore(path)).toThrow(/schema version 2/);
  });

  it('filters by time, number, agent, end reason and external id, newest first', async () => {
    store = openSqliteCallStore(join(dir, 'calls.sqlite'));
    const a = sampleRecord({ startedAt: 1000, from: '+1111', to: '+2000', agentId: 'sales' });
    const b = sampleRecord({ startedAt: 2000, from: '+1111', to: '+3000', endReason: 'agent_hangup' });
    const c = sampleRecord({ startedAt: 3000, from: '+4444', to: '+1111', agentId: 'sales', endReason: 'agent_hangup' });
    const d = sampleRecord({ startedAt: 4000, from: '+5555', to: '+2000' });
    await store.put([a, b, c, d]);
    const ids = (query: Parameters<CallStore['query']>[0]) => store!.query(query).calls.map((call) => call.callId);

    expect(ids({ limit: 10 })).toEqual([d.callId, c.callId, b.callId, a.callId]);
    expect(ids({ limit: 10, since: 2000, until: 4000 })).toEqual([c.callId, b.callId]);
    expect(ids({ limit: 10, number: '+1111' })).toEqual([c.callId, b.callId, a.callId]);
    expect(ids({ limit: 10, agentId: 'sales' })).toEqual([c.callId, a.callId]);
    expect(ids({ limit: 10, endReason: 'agent_hangup', number: '+1111' })).toEqual([c.callId, b.callId]);
    expect(ids({ limit: 10, externalId: d.identity.externalId })).toEqual([d.callId]);
    expect(store.query({ limit: 1 }).calls[0]).toEqual({
      callId: d.callId,
      externalId: d.identity.externalId,
      transport: 'twilio',
      from: '+5555',
      to: '+2000',
      agentId: 'support',
      startedAt: 4000,
      endedAt: d.endedAt,
      durationMs: 30_000,
      endReason: 'caller_hangup',
    });
  });

  it('pages with a cursor without repeats or gaps, also among calls that started in the same millisecond', async () => {
    store = openSqliteCallStore(join(dir, 'calls.sqlite'));
    const records = Array.from({ length: 23 }, (_, i) => sampleRecord({ startedAt: 10_000 + Math.floor(i / 3) }));
    await store.put(records);
    const seen: string[] = [];
    let page = store.query({ limit: 5 });
    for (;;) {
      seen.push(...page.calls.map((call) => call.callId));
      if (page.next === undefined) break;
      page = store.query({ limit: 5, after: page.next });
    }
    const expected = [...records].sort((x, y) => y.startedAt - x.startedAt || (y.callId < x.callId ? -1 : 1)).map((r) => r.callId);
    expect(seen).toEqual(expected);
  });

  it('deletes records of calls that ended before a time', async () => {
    store = openSqliteCallStore(join(dir, 'calls.sqlite'));
    const old = sampleRecord({ startedAt: 1000, endedAt: 5000 });
    const recent = sampleRecord({ startedAt: 9000, endedAt: 20_000 });
    await store.put([old, recent]);
    expect(await store.deleteEndedBefore(10_000)).toBe(1);
    expect(store.getJson(old.callId)).toBeUndefined();
    expect(store.getJson(recent.callId)).toBeDefined();
  });

  it('writes from a worker thread and reports a failed write as a rejection, then keeps writing', async () => {
    store = openSqliteCallStore(join(dir, 'calls.sqlite'));
    const broken = sampleRecord();
    // NOT NULL column: the writer thread's transaction fails and says why.
    (broken.identity as { to?: string }).to = undefined;
    await expect(store.put([broken])).rejects.toThrow(/NOT NULL/);
    const good = sampleRecord();
    await store.put([good]);
    expect(store.getJson(good.callId)).toBeDefined();
    const raw = new Database(join(dir, 'calls.sqlite'));
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
  });

  it('writes the same call twice as one row (a replayed write is harmless)', async () => {
    store = openSqliteCallStore(':memory:');
    const record = sampleRecord();
    await store.put([record]);
    await store.put([{ ...record, endReason: 'transferred' }]);
    const calls = store.query({ limit: 10 }).calls;
    expect(calls).toHaveLength(1);
    expect(calls[0]?.endReason).toBe('transferred');
  });
});
