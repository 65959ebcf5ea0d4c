/**
 * The one translation of a CallQuery into SQL, shared by the SQLite and PostgreSQL stores so the
 * two cannot answer the same filters differently. Only the placeholder style differs (`?` or `$n`).
 */
import type { CallPage, CallQuery, CallSummary } from '../call/call-store.js';

export interface SummaryRow {
  call_id: string;
  external_id: string;
  transport: string;
  from_number: string | null;
  to_number: string;
  agent_id: string;
  // PostgreSQL returns BIGINT as text (it may exceed 2^53); epoch milliseconds never do.
  started_at: number | string;
  ended_at: number | string;
  duration_ms: number | string;
  end_reason: string;
}

const SUMMARY_COLUMNS = 'call_id, external_id, transport, from_number, to_number, agent_id, started_at, ended_at, duration_ms, end_reason';

/** SQL and its parameters for one page (one row more than asked, to tell whether more follow). */
export function pageSql(query: CallQuery, placeholder: (index: number) => string): { sql: string; params: Array<string | number> } {
  const where: string[] = [];
  const params: Array<string | number> = [];
  const p = (value: string | number): string => {
    params.push(value);
    return placeholder(params.length);
  };
  if (query.since !== undefined) where.push(`started_at >= ${p(query.since)}`);
  if (query.until !== undefined) where.push(`started_at < ${p(query.until)}`);
  if (query.number !== undefined) where.push(`(from_number = ${p(query.number)} OR to_number = ${p(query.number)})`);
  if (query.agentId !== undefined) where.push(`agent_id = ${p(query.agentId)}`);
  if (query.endReason !== undefined) where.push(`end_reason = ${p(query.endReason)}`);
  if (query.externalId !== undefined) where.push(`external_id = ${p(query.externalId)}`);
  if (query.after !== undefined) where.push(`(started_at, call_id) < (${p(query.after.startedAt)}, ${p(query.after.callId)})`);
  const sql =
    `SELECT ${SUMMARY_COLUMNS} FROM calls` +
    (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
    ` ORDER BY started_at DESC, call_id DESC LIMIT ${p(query.limit + 1)}`;
  return { sql, params };
}

export function toPage(rows: readonly SummaryRow[], limit: number): CallPage {
  const calls = rows.slice(0, limit).map(toSummary);
  const last = calls[calls.length - 1];
  const page: CallPage = { calls };
  if (rows.length > limit && last !== undefined) page.next = { startedAt: last.startedAt, callId: last.callId };
  return page;
}

function toSummary(row: SummaryRow): CallSummary {
  return {
    callId: row.call_id,
    externalId: row.external_id,
    transport: row.transport,
    from: row.from_number,
    to: row.to_number,
    agentId: row.agent_id,
    startedAt: Number(row.started_at),
    endedAt: Number(row.ended_at),
    durationMs: Number(row.duration_ms),
    endReason: row.end_reason,
  };
}
