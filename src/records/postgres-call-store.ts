/**
 * Call records in a shared PostgreSQL database: the same interface, filters, cursors and
 * retention as the SQLite store, for a cluster of bridge processes. Writes are asynchronous by
 * nature here (the driver never blocks the event loop), so no writer thread is needed; the record
 * writer still queues them off the call's path.
 */
import type pg from 'pg';
import type { CallRecord } from '../call/call-record.js';
import { toCallRow, type CallRow } from './call-rows.js';
import { pageSql, toPage, type SummaryRow } from './call-query-sql.js';
import type { CallStore } from '../call/call-store.js';

const COLUMNS = 11;
const UPSERT_TAIL = `ON CONFLICT (call_id) DO UPDATE SET
  external_id = EXCLUDED.external_id, transport = EXCLUDED.transport, from_number = EXCLUDED.from_number,
  to_number = EXCLUDED.to_number, agent_id = EXCLUDED.agent_id, started_at = EXCLUDED.started_at,
  ended_at = EXCLUDED.ended_at, duration_ms = EXCLUDED.duration_ms, end_reason = EXCLUDED.end_reason,
  record = EXCLUDED.record`;

function upsertSql(rows: number): string {
  const tuples = Array.from(
    { length: rows },
    (_, r) => `(${Array.from({ length: COLUMNS }, (_, c) => `$${r * COLUMNS + c + 1}`).join(', ')})`,
  );
  return `INSERT INTO calls
    (call_id, external_id, transport, from_number, to_number, agent_id, started_at, ended_at, duration_ms, end_reason, record)
    VALUES ${tuples.join(', ')} ${UPSERT_TAIL}`;
}

/** The pool must reach a database already migrated (postgres-migrations.ts). */
export function openPostgresCallStore(pool: pg.Pool): CallStore {
  const writing = new Set<Promise<unknown>>();
  const track = <T>(work: Promise<T>): Promise<T> => {
    writing.add(work);
    void work.finally(() => writing.delete(work)).catch(() => undefined);
    return work;
  };

  return {
    put(records: readonly CallRecord[]) {
      if (records.length === 0) return Promise.resolve();
      // One row per call: a batch naming a call twice keeps the last (ON CONFLICT may touch a row once).
      const byId = new Map<string, CallRow>();
      for (const record of records) byId.set(record.callId, toCallRow(record));
      const rows = [...byId.values()];
      // One statement is one transaction: the batch lands whole or not at all.
      return track(pool.query(upsertSql(rows.length), rows.flat()).then(() => undefined));
    },
    async getJson(callId) {
      const result = await pool.query<{ record: string }>('SELECT record FROM calls WHERE call_id = $1', [callId]);
      return result.rows[0]?.record;
    },
    async query(query) {
      const { sql, params } = pageSql(query, (index) => `$${index}`);
      const result = await pool.query<SummaryRow>(sql, params);
      return toPage(result.rows, query.limit);
    },
    deleteEndedBefore: (epochMs) =>
      track(pool.query('DELETE FROM calls WHERE ended_at < $1', [Math.round(epochMs)]).then((result) => result.rowCount ?? 0)),
    async close() {
      // The pool belongs to whoever opened it (it also serves live calls); only our writes are awaited.
      await Promise.allSettled([...writing]);
    },
  };
}
