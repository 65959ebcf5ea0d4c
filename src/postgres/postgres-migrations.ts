/**
 * Schema versions of the shared PostgreSQL database (call records, live calls, instances). Several
 * bridge processes start at once in a cluster, so the runner takes a session-level advisory lock
 * first: one process migrates, the others wait, then find nothing left to do. Each migration runs
 * in its own transaction and is remembered in `schema_migrations`; a database migrated by a newer
 * bridge is refused rather than half-understood. Append new migrations; never edit a shipped one.
 */
import type pg from 'pg';

interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** pg_advisory_lock key for migrations: any constant the bridge uses for nothing else. */
export const MIGRATION_LOCK_KEY = 0x71706201;

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'calls',
    // As in SQLite: the record is JSON text (returned byte for byte as written), the columns beside
    // it are what the query API filters and sorts on. call_id sorts bytewise ("C") so a cursor
    // means the same whatever the database's default collation.
    sql: `
      CREATE TABLE calls (
        call_id     TEXT COLLATE "C" PRIMARY KEY,
        external_id TEXT NOT NULL,
        transport   TEXT NOT NULL,
        from_number TEXT,
        to_number   TEXT NOT NULL,
        agent_id    TEXT NOT NULL,
        started_at  BIGINT NOT NULL,
        ended_at    BIGINT NOT NULL,
        duration_ms BIGINT NOT NULL,
        end_reason  TEXT NOT NULL,
        record      TEXT NOT NULL
      );
      CREATE INDEX calls_by_start       ON calls (started_at, call_id);
      CREATE INDEX calls_by_end         ON calls (ended_at);
      CREATE INDEX calls_by_external_id ON calls (external_id);
      CREATE INDEX calls_by_from        ON calls (from_number, started_at);
      CREATE INDEX calls_by_to          ON calls (to_number, started_at);
      CREATE INDEX calls_by_agent       ON calls (agent_id, started_at);
      CREATE INDEX calls_by_end_reason  ON calls (end_reason, started_at);
      CREATE INDEX calls_by_transport   ON calls (transport, started_at);
    `,
  },
  {
    version: 2,
    name: 'live_calls',
    // Leases are on the database's clock (now()), so hosts with drifting clocks agree on expiry.
    // A live call's row is also its hold on a model session: the quota counts unexpired rows.
    sql: `
      CREATE TABLE bridge_instances (
        instance_id      TEXT PRIMARY KEY,
        host             TEXT NOT NULL,
        pid              INTEGER NOT NULL,
        draining         BOOLEAN NOT NULL DEFAULT FALSE,
        started_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
        lease_expires_at TIMESTAMPTZ NOT NULL
      );
      CREATE TABLE live_calls (
        call_id          TEXT PRIMARY KEY,
        instance_id      TEXT NOT NULL,
        quota_key        TEXT NOT NULL,
        external_id      TEXT NOT NULL,
        agent_id         TEXT NOT NULL,
        from_number      TEXT,
        to_number        TEXT NOT NULL,
        transport        TEXT NOT NULL,
        started_at       BIGINT NOT NULL,
        lease_expires_at TIMESTAMPTZ NOT NULL
      );
      CREATE INDEX live_calls_by_quota    ON live_calls (quota_key, lease_expires_at);
      CREATE INDEX live_calls_by_instance ON live_calls (instance_id);
    `,
  },
];

export const POSTGRES_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Brings the database to POSTGRES_SCHEMA_VERSION; returns the version it found. */
export async function migratePostgres(pool: pg.Pool): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version    INTEGER PRIMARY KEY,
        name       TEXT NOT NULL,
        applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
      const result = await client.query<{ version: number | null }>('SELECT MAX(version) AS version FROM schema_migrations');
      const found = result.rows[0]?.version ?? 0;
      if (found > POSTGRES_SCHEMA_VERSION) {
        throw new Error(`PostgreSQL database is at schema version ${found}; this bridge knows up to ${POSTGRES_SCHEMA_VERSION}`);
      }
      for (const migration of MIGRATIONS) {
        if (migration.version <= found) continue;
        await client.query('BEGIN');
        try {
          await client.query(migration.sql);
          await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw err;
        }
      }
      return found;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
}
