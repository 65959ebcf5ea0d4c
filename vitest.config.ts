import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One throwaway PostgreSQL server for the cluster tests (skipped, with the reason, when absent).
    globalSetup: ['test/support/postgres-global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Real sockets on 127.0.0.1: keep workers few so a 2-core CI machine is not oversubscribed.
    maxWorkers: 2,
  },
});
