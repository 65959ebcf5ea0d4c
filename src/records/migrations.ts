/**
 * Schema versions of the call-records database. Each migration runs once (all pending ones in one transaction),
 * and is remembered in `schema_migrations`; a database written by a newer bridge is refused rather
 * than half-understood. Append new migrations; never edit one that has shipped.
 */
import type { Database } from 'better-sqlite3';

interface Migration {
  version: number;
  name: string;
  sql: string;
}

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'calls',
    // The record itself is JSON; the columns beside it are what the query API filters and sorts
    // on. Each index serves one filter, with started_at second so a filtered page is read in order.
    sql: `
      CREATE TABLE calls (
        call_id     TEXT PRIMARY KEY,
        external_id TEXT NOT NULL,
        transport   TEXT NOT NULL,
        from_number TEXT,
        to_number   TEXT NOT NULL,
        agent_id    TEXT NOT NULL,
        started_at  INTEGER NOT NULL,
        ended_at    INTEGER NOT NULL,
        duration_ms INTEGER NOT NULL,
        end_reason  TEXT NOT NULL,
        record      TEXT NOT NULL
      ) STRICT;
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
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Brings the database to SCHEMA_VERSION; returns the version it found. */
export function migrate(db: Database, now: () => number = Date.now): number {
  // Workers of one host (--workers) open the same file at once: the write lock is taken before the
  // version is read, so one migrates and the others find it done.
  return db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    INTEGER PRIMARY KEY,
      name       TEXT NOT NULL,
      applied_at INTEGER NOT NULL
    )`);
    const row = db.prepare('SELECT MAX(version) AS version FROM schema_migrations').get() as { version: number | null };
    const found = row.version ?? 0;
    if (found > SCHEMA_VERSION) {
      throw new Error(`call-records database is at schema version ${found}; this bridge knows up to ${SCHEMA_VERSION}`);
    }
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    for (const migration of MIGRATIONS) {
      if (migration.version <= found) continue;
      db.exec(migration.sql);
      record.run(migration.version, migration.name, now());
    }
    return found;
  }).immediate();
}
