/**
 * Starts the RTP I/O thread, from the built program or from the TypeScript source.
 *
 * Built (`node dist/main.js`, production): rtp-thread.js sits next to this file and loads with
 * plain node; tsx is a dev dependency and is not installed there.
 *
 * Source (tsx: `npm start`, the tests, the benchmarks): rtp-thread.ts needs tsx's loader in the
 * new thread. `execArgv: ['--import', 'tsx']` does not do it on Node 20: a worker's `--import` is
 * not run (checked on 20.20: a preload module given that way never executed, and the .ts entry
 * failed with ERR_UNKNOWN_FILE_EXTENSION). So the thread starts from a two-line script that
 * registers tsx through its API, resolved from this file (not from the working directory), and
 * then imports the entry.
 */
import { Worker } from 'node:worker_threads';
import type { RtpThreadSettings } from './rtp-thread-protocol.js';

export type SpawnRtpThread = (settings: RtpThreadSettings) => Worker;

export const spawnRtpThread: SpawnRtpThread = (settings) => {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(fromSource ? './rtp-thread.ts' : './rtp-thread.js', import.meta.url);
  if (!fromSource) return new Worker(entry, { workerData: settings });
  // tsx's ESM build: its CommonJS build, required, fails to find its own files (tsx 4.23).
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: settings });
};
