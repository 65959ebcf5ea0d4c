/**
 * The bridge's connection pool to PostgreSQL (DATABASE_URL). Bounded waits everywhere: a database
 * that stops answering makes a write or a lease renewal fail (logged, counted) instead of queueing
 * work without end behind it; calls themselves never wait on the pool.
 */
import pg from 'pg';
import type { Logger } from 'pino';

export interface PoolOptions {
  url: string;
  /** Connections this process may hold. */
  max: number;
  logger: Logger;
}

export function openPostgresPool(opts: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.max,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    statement_timeout: 10_000,
    application_name: 'qwen-phone-bridge',
  });
  // An idle client losing its connection (server restart) emits here; without a listener the
  // process would crash. The pool replaces the client on the next checkout.
  pool.on('error', (err) => opts.logger.warn({ err: err.message }, 'PostgreSQL connection lost'));
  return pool;
}

/** A URL fit for logs: the password never appears. */
export function loggableDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}
