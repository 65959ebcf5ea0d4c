/**
 * Model-session seats counted across a cluster in PostgreSQL. A seat is a row of `live_calls`
 * (which is also how the cluster lists its calls): taking one inserts the row only while fewer
 * than the quota's unexpired rows exist for that key. Two processes admitting at the same moment
 * must not both see "59 of 60", so the count and the insert run under a transaction-scoped
 * advisory lock on the quota key: admissions for one key are serialised for a millisecond or two,
 * other keys are not held up. Rows carry a lease on the database clock, renewed by the owner
 * (cluster-membership.ts): a crashed process's seats come free when its lease runs out.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import type { CallSeats, SeatAnswer, SeatRequest } from '../call/call-seats.js';

export interface PostgresSeatsOptions {
  pool: pg.Pool;
  instanceId: string;
  /** Per quota key; 0: no limit (rows are still written: they are the cluster's list of calls). */
  maxPerKey: number;
  leaseMs: number;
  logger: Logger;
}

const INSERT_COLUMNS =
  '(call_id, instance_id, quota_key, external_id, agent_id, from_number, to_number, transport, started_at, lease_expires_at)';
const INSERT_VALUES = "$1, $2, $3, $4, $5, $6, $7, $8, $9, now() + $10 * interval '1 millisecond'";

export class PostgresSeats implements CallSeats {
  readonly #opts: PostgresSeatsOptions;
  /** The rows this process holds, as inserted: renewal puts back any that expired meanwhile. */
  readonly #held = new Map<string, unknown[]>();

  constructor(opts: PostgresSeatsOptions) {
    this.#opts = opts;
  }

  async take(request: SeatRequest): Promise<SeatAnswer> {
    const { pool, instanceId, maxPerKey, leaseMs } = this.#opts;
    const { identity } = request;
    const values = [
      request.callId,
      instanceId,
      request.quotaKey,
      identity.externalId,
      request.agentId,
      identity.from ?? null,
      identity.to,
      identity.transport,
      Math.round(request.startedAt),
      leaseMs,
    ];
    if (maxPerKey === 0) {
      await pool.query(`INSERT INTO live_calls ${INSERT_COLUMNS} VALUES (${INSERT_VALUES})`, values);
      this.#held.set(request.callId, values);
      return 'granted';
    }
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      try {
        await client.query("SELECT pg_advisory_xact_lock(hashtext('qpb-seats:' || $1::text))", [request.quotaKey]);
        // A new statement takes a new snapshot (READ COMMITTED): it sees every seat committed
        // before the lock was ours.
        const inserted = await client.query(
          `INSERT INTO live_calls ${INSERT_COLUMNS}
             SELECT ${INSERT_VALUES}
             WHERE (SELECT count(*) FROM live_calls WHERE quota_key = $3 AND lease_expires_at > now()) < $11`,
          [...values, maxPerKey],
        );
        await client.query('COMMIT');
        if (inserted.rowCount !== 1) return 'quota_full';
        this.#held.set(request.callId, values);
        return 'granted';
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    } finally {
      client.release();
    }
  }

  /**
   * Extend the lease of every seat this process holds; put back any row that expired (the
   * database was out of reach longer than a lease and another member deleted it): those calls
   * are live and hold a model session, so they count again, even if that briefly exceeds the quota.
   */
  async renew(client: pg.PoolClient): Promise<void> {
    const { instanceId, leaseMs } = this.#opts;
    const updated = await client.query(
      `UPDATE live_calls SET lease_expires_at = now() + $2 * interval '1 millisecond' WHERE instance_id = $1`,
      [instanceId, leaseMs],
    );
    if ((updated.rowCount ?? 0) >= this.#held.size) return;
    for (const values of this.#held.values()) {
      await client.query(`INSERT INTO live_calls ${INSERT_COLUMNS} VALUES (${INSERT_VALUES}) ON CONFLICT (call_id) DO NOTHING`, [
        ...values.slice(0, 9),
        leaseMs,
      ]);
    }
  }

  release(callId: string): void {
    this.#held.delete(callId);
    this.#opts.pool.query('DELETE FROM live_calls WHERE call_id = $1', [callId]).catch((err: unknown) => {
      // The lease will free it; until then the quota counts one seat too many.
      this.#opts.logger.warn({ callId, err: err instanceof Error ? err.message : String(err) }, 'model session seat not released');
    });
  }
}
