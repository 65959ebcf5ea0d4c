import type pg from 'pg';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { migratePostgres, POSTGRES_SCHEMA_VERSION } from '../../src/postgres/postgres-migrations.js';
import { openPostgresPool } from '../../src/postgres/postgres-pool.js';
import type { CallStore } from '../../src/call/call-store.js';
import { openPostgresCallStore } from '../../src/records/postgres-call-store.js';
import { createTestDatabase, hasPostgres, postgresMissing } from '../support/postgres-database.js';
import { callStoreContract } from './call-store-contract.js';
import { sampleRecord } from './sample-record.js';

const silent = pino({ level: 'silent' });
const pools: pg.Pool[] = [];
afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.end()));
});

async function freshPool(): Promise<pg.Pool> {
  const pool = openPostgresPool({ url: await createTestDatabase(), max: 4, logger: silent });
  pools.push(pool);
  return pool;
}

/** A store on a database of its own, migrated; closing it ends its pool too. */
async function openStore(): Promise<CallStore> {
  const pool = await freshPool();
  await migratePostgres(pool);
  const store = openPostgresCallStore(pool);
  return store;
}

if (!hasPostgres) {
  describe.skip(`PostgreSQL call store (skipped: ${postgresMissing})`, () => {
    it('needs PostgreSQL', () => undefined);
  });
} else {
  callStoreContract('PostgreSQL', openStore);

  describe('PostgreSQL migrations', () => {
    it('run once when eight processes start at the same moment (advisory lock), and record each version', async () => {
      const url = await createTestDatabase();
      // Separate pools: separate sessions, as separate processes would have.
      const starters = Array.from({ length: 8 }, () => openPostgresPool({ url, max: 1, logger: silent }));
      pools.push(...starters);
      const found = await Promise.all(starters.map((pool) => migratePostgres(pool)));
      // Exactly one found an empty database; every other one found it complete.
      expect(found.filter((version) => version === 0)).toHaveLength(1);
      expect(found.filter((version) => version === POSTGRES_SCHEMA_VERSION)).toHaveLength(7);
      const versions = await starters[0]!.query<{ version: number; name: string }>(
        'SELECT version, name FROM schema_migrations ORDER BY version',
      );
      expect(versions.rows).toEqual([
        { version: 1, name: 'calls' },
        { version: 2, name: 'live_calls' },
      ]);
    });

    it('refuses a database migrated by a newer bridge', async () => {
      const pool = await freshPool();
      await migratePostgres(pool);
      await pool.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [POSTGRES_SCHEMA_VERSION + 1, 'future']);
      await expect(migratePostgres(pool)).rejects.toThrow(new RegExp(`schema version ${POSTGRES_SCHEMA_VERSION + 1}`));
    });

    it('keeps a record byte for byte and a batch naming one call twice as its last version', async () => {
      const store = await openStore();
      const record = sampleRecord();
      await store.put([record, { ...record, endReason: 'transferred' }]);
      expect(JSON.parse((await store.getJson(record.callId))!)).toEqual({ ...record, endReason: 'transferred' });
      expect((await store.query({ limit: 5 })).calls.map((call) => call.endReason)).toEqual(['transferred']);
      await store.close();
    });
  });
}
