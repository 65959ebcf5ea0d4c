/**
 * The calls table's write statements and a record's row, shared by the in-process writer and the
 * writer thread (which receives rows ready to bind: the JSON is made once, here).
 */
import type { CallRecord } from '../call/call-record.js';

export const INSERT_CALL_SQL = `INSERT OR REPLACE INTO calls
  (call_id, external_id, transport, from_number, to_number, agent_id, started_at, ended_at, duration_ms, end_reason, record)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

export const DELETE_ENDED_BEFORE_SQL = 'DELETE FROM calls WHERE ended_at < ?';

export type CallRow = [string, string, string, string | null, string, string, number, number, number, string, string];

export function toCallRow(record: CallRecord): CallRow {
  return [
    record.callId,
    record.identity.externalId,
    record.identity.transport,
    record.identity.from ?? null,
    record.identity.to,
    record.agentId,
    // STRICT integer columns: a fractional time would fail the write.
    Math.round(record.startedAt),
    Math.round(record.endedAt),
    Math.round(record.durationMs),
    record.endReason,
    JSON.stringify(record),
  ];
}
