import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Real sockets on 127.0.0.1: keep workers few so a 2-core CI machine is not oversubscribed.
    maxWorkers: 2,
  },
});
