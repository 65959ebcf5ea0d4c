/**
 * The call-records store as the rest of the bridge sees it: write ended calls, read one back, page
 * through summaries with filters, forget old ones. A port beside the record it stores: records/
 * implements it (SQLite), http/ reads through it, neither imports the other.
 */
import type { CallRecord } from './call-record.js';

/** The indexed columns of a record: what a list of calls shows. */
export interface CallSummary {
  callId: string;
  externalId: string;
  transport: string;
  from: string | null;
  to: string;
  agentId: string;
  startedAt: number;
  endedAt: number;
  durationMs: number;
  endReason: string;
}

/** Where a page ended: the sort key of its last row. */
export interface PageCursor {
  startedAt: number;
  callId: string;
}

export interface CallQuery {
  /** started_at ≥ since (epoch ms). */
  since?: number;
  /** started_at < until (epoch ms). */
  until?: number;
  /** Caller or dialed number, exactly as the platform reported it. */
  number?: string;
  agentId?: string;
  endReason?: string;
  externalId?: string;
  limit: number;
  /** Continue after this row (newest first). */
  after?: PageCursor;
}

export interface CallPage {
  calls: CallSummary[];
  /** Present when more rows match. */
  next?: PageCursor;
}

/**
 * Every operation is asynchronous: SQLite answers reads at once but writes off the main thread
 * (see sqlite-writer.ts); PostgreSQL answers everything over the network.
 */
export interface CallStore {
  /** Insert (or replace) records in one transaction. */
  put(records: readonly CallRecord[]): Promise<void>;
  /** The stored record as JSON text, exactly as written. */
  getJson(callId: string): Promise<string | undefined>;
  query(query: CallQuery): Promise<CallPage>;
  /** Delete records of calls that ended before this time; returns how many. */
  deleteEndedBefore(epochMs: number): Promise<number>;
  /** Finishes writes in progress, then closes. */
  close(): Promise<void>;
}
