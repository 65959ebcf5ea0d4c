/**
 * Model-session seats in PostgreSQL, through the adapter itself: the quota under concurrent takes
 * from separate pools (separate sessions, as separate processes have), per-region keys, release,
 * and a lease that lapsed while the database was out of reach being restored by the owner.
 */
import type pg from 'pg';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { SeatRequest } from '../../src/call/call-seats.js';
import { instanceLease } from '../../src/cluster/instance-lease.js';
import { PostgresSeats } from '../../src/cluster/postgres-seats.js';
import { migratePostgres } from '../../src/postgres/postgres-migrations.js';
import { openPostgresPool } from '../../src/postgres/postgres-pool.js';
import { createTestDatabase, hasPostgres, postgresMissing } from '../support/postgres-database.js';

const silent = pino({ level: 'silent' });
const pools: pg.Pool[] = [];
afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.end()));
});

async function database(members: number): Promise<pg.Pool[]> {
  const url = await createTestDatabase();
  const opened = Array.from({ length: members }, () => openPostgresPool({ url, max: 8, logger: silent }));
  pools.push(...opened);
  await migratePostgres(opened[0]!);
  return opened;
}

let n = 0;
const request = (quotaKey = 'singapore'): SeatRequest => ({
  callId: `call-${++n}`,
  quotaKey,
  identity: { externalId: `CA${n}`, to: '+15550100', from: '+15550001', transport: 'twilio', attributes: {} },
  agentId: 'support',
  startedAt: Date.now(),
});

const liveRows = async (pool: pg.Pool, key: string): Promise<number> =>
  Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM live_calls WHERE quota_key = $1', [key])).rows[0]!.n);

if (!hasPostgres) {
  describe.skip(`PostgreSQL seats (skipped: ${postgresMissing})`, () => {
    it('needs PostgreSQL', () => undefined);
  });
} else {
  describe('model-session seats in PostgreSQL', () => {
    it('grants exactly the quota to 40 simultaneous takes from two members, per region, and frees a seat on release', async () => {
      const [one, two] = await database(2);
      const seatsA = new PostgresSeats({ pool: one!, instanceId: 'a', maxPerKey: 5, leaseMs: 15_000, logger: silent });
      const seatsB = new PostgresSeats({ pool: two!, instanceId: 'b', maxPerKey: 5, leaseMs: 15_000, logger: silent });
      const requests = Array.from({ length: 40 }, (_, i) => ({
        seats: i % 2 === 0 ? seatsA : seatsB,
        request: request(i < 30 ? 'singapore' : 'beijing'),
      }));
      const answers = await Promise.all(requests.map(({ seats, request: r }) => seats.take(r)));
      const granted = requests.filter((_, i) => answers[i] === 'granted');
      expect(granted.filter(({ request: r }) => r.quotaKey === 'singapore')).toHaveLength(5);
      expect(granted.filter(({ request: r }) => r.quotaKey === 'beijing')).toHaveLength(5);
      expect(answers.filter((answer) => answer === 'quota_full')).toHaveLength(30);
      expect(await liveRows(one!, 'singapore')).toBe(5);

      const first = granted[0]!;
      first.seats.release(first.request.callId);
      // The release is fire-and-forget (a call's end never waits on it): the next take retries until it sees it.
      let answer = await seatsB.take(request());
      while (answer !== 'granted') answer = await seatsB.take(request());
      expect(await liveRows(one!, 'singapore')).toBe(5);
    });

    it('restores a seat whose lease lapsed and was deleted by another member, at the next renewal', async () => {
      const [pool] = await database(1);
      const seats = new PostgresSeats({ pool: pool!, instanceId: 'a', maxPerKey: 3, leaseMs: 15_000, logger: silent });
      const lease = instanceLease({
        pool: pool!,
        instanceId: 'a',
        leaseMs: 15_000,
        logger: silent,
        renewCalls: (client) => seats.renew(client),
      });
      await lease.start();
      const held = request();
      expect(await seats.take(held)).toBe('granted');
      // The database was unreachable for longer than the lease: another member reaped the row.
      await pool!.query('DELETE FROM live_calls');
      await pool!.query('DELETE FROM bridge_instances');
      await lease.renew();
      const rows = await pool!.query<{ call_id: string; instance_id: string; live: boolean }>(
        'SELECT call_id, instance_id, lease_expires_at > now() AS live FROM live_calls',
      );
      expect(rows.rows).toEqual([{ call_id: held.callId, instance_id: 'a', live: true }]);
      expect((await pool!.query('SELECT instance_id FROM bridge_instances')).rows).toEqual([{ instance_id: 'a' }]);
      await lease.stop();
      expect(await liveRows(pool!, 'singapore')).toBe(0);
    });
  });
}
