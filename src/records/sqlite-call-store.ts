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
import type { CallPage, CallStore, CallSummary } from '../call/call-store.js';
import { migrate } from './migrations.js';
import { inlineWriter, workerWriter } from './sqlite-writer.js';

interface SummaryRow {
  call_id: string;
  external_id: string;
  transport: string;
  from_number: string | null;
  to_number: string;
  agent_id: string;
  started_at: number;
  ended_at: number;
  duration_ms: number;
  end_reason: string;
}

const SUMMARY_COLUMNS =
  'call_id, external_id, transport, from_number, to_number, agent_id, started_at, ended_at, duration_ms, end_reason';

function toSummary(row: SummaryRow): CallSummary {
  return {
    callId: row.call_id,
    externalId: row.external_id,
    transport: row.transport,
    from: row.from_number,
    to: row.to_number,
    agentId: row.agent_id,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    durationMs: row.duration_ms,
    endReason: row.end_reason,
  };
}

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
      return selectOne.get(callId) as string | undefined;
    },
    query(query) {
      const where: string[] = [];
      const params: Array<string | number> = [];
      if (query.since !== undefined) {
        where.push('started_at >= ?');
        params.push(query.since);
      }
      if (query.until !== undefined) {
        where.push('started_at < ?');
        params.push(query.until);
      }
      if (query.number !== undefined) {
        where.push('(from_number = ? OR to_number = ?)');
        params.push(query.number, query.number);
      }
      if (query.agentId !== undefined) {
        where.push('agent_id = ?');
        params.push(query.agentId);
      }
      if (query.endReason !== undefined) {
        where.push('end_reason = ?');
        params.push(query.endReason);
      }
      if (query.externalId !== undefined) {
        where.push('external_id = ?');
        params.push(query.externalId);
      }
      if (query.after !== undefined) {
        where.push('(started_at, call_id) < (?, ?)');
        params.push(query.after.startedAt, query.after.callId);
      }
      const sql =
        `SELECT ${SUMMARY_COLUMNS} FROM calls` +
        (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
        ' ORDER BY started_at DESC, call_id DESC LIMIT ?';
      let statement = queries.get(sql);
      if (statement === undefined) {
        statement = db.prepare(sql);
        queries.set(sql, statement);
      }
      // One row more than asked tells whether there is a next page.
      const rows = statement.all(...params, query.limit + 1) as SummaryRow[];
      const calls = rows.slice(0, query.limit).map(toSummary);
      const last = calls[calls.length - 1];
      const page: CallPage = { calls };
      if (rows.length > query.limit && last !== undefined) page.next = { startedAt: last.startedAt, callId: last.callId };
      return page;
    },
    deleteEndedBefore: (epochMs) => writer.deleteEndedBefore(epochMs),
    async close() {
      await writer.close();
      if (db.open) db.close();
    },
  };
}
