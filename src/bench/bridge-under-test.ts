/**
 * The real bridge (buildApp: HTTP + fork endpoint + call core + Qwen client) configured for a
 * benchmark run: on 127.0.0.1, talking to the load driver's fake model, with the resampler backend
 * under test. It records how its calls end, so a run can tell whether calls stayed up.
 */
import { randomBytes } from 'node:crypto';
import { buildApp, type App } from '../app.js';
import type { ResamplerBackend } from '../audio/resampler.js';
import type { CallRecord } from '../call/call-record.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { createLogger } from '../log.js';

export interface BridgeUnderTest {
  app: App;
  port: number;
  mediaToken: string;
  /** Calls that have ended, in order. */
  ended: CallRecord[];
  close(): Promise<void>;
}

/**
 * Longer than any benchmark phase. Media flows all through the load windows, but the call-start
 * phase sends none, and the default 10 s media timeout must not end those calls mid-measurement.
 */
const BENCH_MEDIA_TIMEOUT_MS = 120_000;

/** The bridge's configuration for a run; the floor baseline reads its append batch size from it. */
export function benchBridgeConfig(opts: { modelUrl: string; maxCalls: number }): Config {
  // An explicit environment: the operator's BRIDGE_CONFIG or QWEN_* variables must not change the bench.
  return loadConfig({
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'warn',
    // Call records stay in memory: a benchmark writes no files.
    RECORDS_DB_PATH: ':memory:',
    QWEN_URL: opts.modelUrl,
    MAX_CONCURRENT_CALLS: String(opts.maxCalls),
  });
}

export async function startBridge(opts: { modelUrl: string; backend: ResamplerBackend; maxCalls: number }): Promise<BridgeUnderTest> {
  const config = benchBridgeConfig(opts);
  config.calls.resampler = opts.backend;
  config.calls.mediaTimeoutMs = BENCH_MEDIA_TIMEOUT_MS;
  const mediaToken = randomBytes(16).toString('hex');
  config.secrets = { dashscopeApiKey: randomBytes(16).toString('hex'), mediaToken };
  // Warnings go to stderr: stdout ends with the benchmark's JSON line.
  const app = buildApp(config, createLogger(config.log.level, process.stderr));
  const ended: CallRecord[] = [];
  app.onCallEnded((record) => ended.push(record));
  const { port } = await app.start();
  return { app, port, mediaToken, ended, close: () => app.close() };
}

/** How many calls ended for each reason, e.g. `{ caller_hangup: 50 }`. */
export function endReasons(records: readonly CallRecord[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const record of records) counts[record.endReason] = (counts[record.endReason] ?? 0) + 1;
  return counts;
}
