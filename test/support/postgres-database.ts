/**
 * A database of its own for one test file, on the run's throwaway server (postgres-global-setup).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

/** The reason PostgreSQL suites skip, or '' when a server is running. */
export const postgresMissing: string = inject('postgresMissing');
export const hasPostgres = inject('postgresUrl') !== '';

export async function createTestDatabase(): Promise<string> {
  const adminUrl = inject('postgresUrl');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
