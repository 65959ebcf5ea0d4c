/**
 * vitest globalSetup: one throwaway PostgreSQL server for the whole run, its URL provided to the
 * test files as `postgresUrl` (each file makes a database of its own on it). Without PostgreSQL
 * binaries the URL is empty and the PostgreSQL suites skip, saying why.
 */
import type { TestProject } from 'vitest/node';
import { findPostgresBin, startPostgres, type PostgresServer } from '../../src/bench/throwaway-postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
    postgresMissing: string;
  }
}

let server: PostgresServer | undefined;

export async function setup(project: TestProject): Promise<void> {
  const bin = findPostgresBin();
  if (bin === undefined) {
    project.provide('postgresUrl', '');
    project.provide('postgresMissing', "no PostgreSQL binaries (initdb, postgres) found: install Debian's postgresql package");
    return;
  }
  server = await startPostgres(bin);
  project.provide('postgresUrl', server.url);
  project.provide('postgresMissing', '');
}

export async function teardown(): Promise<void> {
  await server?.stop();
}
