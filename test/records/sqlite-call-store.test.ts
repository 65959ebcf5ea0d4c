import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CallStore } from '../../src/call/call-store.js';
import { SCHEMA_VERSION } from '../../src/records/migrations.js';
import { openSqliteCallStore } from '../../src/records/sqlite-call-store.js';
import { callStoreContract } from './call-store-contract.js';
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

callStoreContract('SQLite (file)', () => openSqliteCallStore(join(dir, 'calls.sqlite')));
callStoreContract('SQLite (in memory)', () => openSqliteCallStore(':memory:'));

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
    expect(JSON.parse((await store.getJson(record.callId))!)).toEqual(record);
    expect(await store.getJson('nope')).toBeUndefined();
  });

  it('refuses a database written by a newer bridge', async () => {
    const path = join(dir, 'calls.sqlite');
    await openSqliteCallStore(path).close();
    const raw = new Database(path);
    raw.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(SCHEMA_VERSION + 1, 'future', 0);
    raw.close();
    expect(() => openSqliteCallStore(path)).toThrow(/schema version 2/);
  });

  it('writes from a worker thread and reports a failed write as a rejection, then keeps writing', async () => {
    store = openSqliteCallStore(join(dir, 'calls.sqlite'));
    const broken = sampleRecord();
    // NOT NULL column: the writer thread's transaction fails and says why.
    (broken.identity as { to?: string }).to = undefined;
    await expect(store.put([broken])).rejects.toThrow(/NOT NULL/);
    const good = sampleRecord();
    await store.put([good]);
    expect(await store.getJson(good.callId)).toBeDefined();
    const raw = new Database(join(dir, 'calls.sqlite'));
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
  });

});
