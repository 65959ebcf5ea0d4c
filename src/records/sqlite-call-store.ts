/**
 * Call records in an embedded SQLite database (better-sqlite3). This connection creates and
 * migrates the schema and serves the query API; writes go through a SqliteWriter, off the main
 * thread for a file database. WAL mode lets reads run while a write is in progress;
 * synchronous=NORMAL is durable across process crashes and may lose the last transactions only on
 * power loss, which is the right trade for call logs.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { toCallRow } from './call-rows.js';
import { pageSql, toPage, type SummaryRow } from './call-query-sql.js';
import type { CallPage, CallQuery, CallStore } from '../call/call-store.js';
import { migrate } from './migrations.js';
import { inlineWriter, workerWriter } from './sqlite-writer.js';

/** Opens (creating its folder and schema as needed) the database at `path`; ":memory:" for none on disk. */
export function openSqliteCallStore(path: string): CallStore {
  const inMemory = path === ':memory:';
  if (!inMemory) mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    // The writer (or a backup, an operator's sqlite3 shell) may hold a lock briefly.
    db.pragma('busy_timeout = 1000');
    migrate(db);
    // From here on this connection only reads; the writer has its own.
    if (!inMemory) db.pragma('query_only = ON');
  } catch (err) {
    db.close();
    throw err;
  }
  const writer = inMemory ? inlineWriter(db) : workerWriter(path);

  const selectOne = db.prepare('SELECT record FROM calls WHERE call_id = ?').pluck();
  // One statement per combination of filters actually used (a handful), prepared once.
  const queries = new Map<string, Database.Statement>();

  return {
    put: (records) => (records.length === 0 ? Promise.resolve() : writer.put(records.map(toCallRow))),
    getJson(callId) {
      return Promise.resolve(selectOne.get(callId) as string | undefined);
    },
    query(query) {
      return Promise.resolve(readPage(query));
    },
    deleteEndedBefore: (epochMs) => writer.deleteEndedBefore(epochMs),
    async close() {
      await writer.close();
      if (db.open) db.close();
    },
  };

  function readPage(query: CallQuery): CallPage {
    const { sql, params } = pageSql(query, () => '?');
    let statement = queries.get(sql);
    if (statement === undefined) {
      statement = db.prepare(sql);
      queries.set(sql, statement);
    }
    return toPage(statement.all(...params) as SummaryRow[], query.limit);
  }
}
