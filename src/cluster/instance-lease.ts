/**
 * This process's membership of the cluster: a row in `bridge_instances` and the leases of its
 * live calls, renewed every third of the lease so two missed renewals are survived. A process that
 * dies stops renewing; a lease past its time is no longer listed nor counted against the quota,
 * and any member deletes such rows as it renews its own.
 */
import { hostname } from 'node:os';
import type pg from 'pg';
import type { Logger } from 'pino';

export interface InstanceLeaseOptions {
  pool: pg.Pool;
  instanceId: string;
  leaseMs: number;
  logger: Logger;
  /** Extends (and if need be restores) the leases of this process's live calls. */
  renewCalls(client: pg.PoolClient): Promise<void>;
}

export interface InstanceLease {
  /** Registers (or re-registers, after a restart under the same id) and starts renewing. */
  start(): Promise<void>;
  /** Record this process's drain so other members' views show it. */
  markDraining(): Promise<void>;
  /** Renew once now (tests, and the timer). */
  renew(): Promise<void>;
  /** Stop renewing and remove this process's rows: its calls have ended by now. */
  stop(): Promise<void>;
}

export function instanceLease(opts: InstanceLeaseOptions): InstanceLease {
  const { pool, instanceId, leaseMs, logger } = opts;
  let timer: NodeJS.Timeout | undefined;
  let renewing: Promise<void> | undefined;

  const renew = async (): Promise<void> => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      // Upserted: a member whose row expired (the database was out of reach) comes back.
      await client.query(
        `INSERT INTO bridge_instances (instance_id, host, pid, lease_expires_at)
           VALUES ($1, $3, $4, now() + $2 * interval '1 millisecond')
         ON CONFLICT (instance_id) DO UPDATE SET lease_expires_at = EXCLUDED.lease_expires_at`,
        [instanceId, leaseMs, hostname(), process.pid],
      );
      await opts.renewCalls(client);
      // Housekeeping any member may do: what expired is gone for good.
      await client.query('DELETE FROM live_calls WHERE lease_expires_at < now()');
      await client.query('DELETE FROM bridge_instances WHERE lease_expires_at < now()');
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  };

  const tick = (): void => {
    if (renewing !== undefined) return;
    renewing = renew()
      .catch((err: unknown) => {
        logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'cluster lease not renewed');
      })
      .finally(() => (renewing = undefined));
  };

  return {
    async start() {
      // A restart under the same id inherits nothing: the calls of the previous run are over.
      await pool.query('DELETE FROM live_calls WHERE instance_id = $1', [instanceId]);
      await pool.query(
        `INSERT INTO bridge_instances (instance_id, host, pid, lease_expires_at)
           VALUES ($1, $2, $3, now() + $4 * interval '1 millisecond')
         ON CONFLICT (instance_id) DO UPDATE SET host = EXCLUDED.host, pid = EXCLUDED.pid, draining = FALSE,
           started_at = now(), lease_expires_at = EXCLUDED.lease_expires_at`,
        [instanceId, hostname(), process.pid, leaseMs],
      );
      timer = setInterval(tick, Math.max(1000, Math.floor(leaseMs / 3)));
      timer.unref();
    },
    async markDraining() {
      await pool.query('UPDATE bridge_instances SET draining = TRUE WHERE instance_id = $1', [instanceId]);
    },
    renew,
    async stop() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      await renewing;
      await pool.query('DELETE FROM live_calls WHERE instance_id = $1', [instanceId]);
      await pool.query('DELETE FROM bridge_instances WHERE instance_id = $1', [instanceId]);
    },
  };
}
