/**
 * The whole bridge on 127.0.0.1 against the Qwen simulator, for flow tests: real sockets, real
 * app composition, the simulator's faults where a test asks for them.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { buildApp, type App, type AppOverrides } from '../../src/app.js';
import type { CallRecord } from '../../src/call/call-record.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { SimulatedCaller, type SimulatedCallerOptions } from '../../src/sim/caller/index.js';
import type { QwenSimulatorOptions } from '../../src/sim/qwen/options.js';
import { startQwenSimulator, type QwenSimulator } from '../../src/sim/qwen/server.js';

export interface Bridge {
  app: App;
  sim: QwenSimulator;
  config: Config;
  port: number;
  records: CallRecord[];
  /** A temp folder of this bridge's own: its call-records database and recordings. */
  dataDir: string;
  /** Resolves with the n-th ended call's record (1-based). */
  ended(n: number): Promise<CallRecord>;
  forkUrl(path?: string): string;
  caller(opts?: Partial<SimulatedCallerOptions>): Promise<SimulatedCaller>;
  close(): Promise<void>;
}

export interface StartBridgeOptions {
  sim?: QwenSimulatorOptions;
  env?: Record<string, string>;
  /** Adjusts the loaded configuration before the app is built (settings with no env variable, e.g. sip.rtp). */
  configure?: (config: Config) => void;
  overrides?: (config: Config, simUrl: string, apiKey: string) => AppOverrides;
  /** What app.start() resolved with (the ops listener's port, when one is configured). */
  onStarted?: (started: { port: number; opsPort?: number }) => void;
}

export async function startBridge(opts: StartBridgeOptions = {}): Promise<Bridge> {
  const apiKey = randomBytes(8).toString('hex');
  const sim = await startQwenSimulator({ apiKey, ...opts.sim });
  const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent', QWEN_URL: sim.url, ...opts.env });
  // Secrets given in env (DRACHTIO_SECRET for SIP flows) stay; the model key and media token are ours.
  config.secrets = { ...config.secrets, dashscopeApiKey: apiKey, mediaToken: randomBytes(8).toString('hex') };
  // Call records and recordings go to a temp folder, never the working directory.
  const dataDir = mkdtempSync(join(tmpdir(), 'qpb-bridge-'));
  config.records.dbPath = join(dataDir, 'calls.sqlite');
  config.records.recording.dir = join(dataDir, 'recordings');
  opts.configure?.(config);
  const app = buildApp(config, pino({ level: 'silent' }), opts.overrides?.(config, sim.url, apiKey));
  const records: CallRecord[] = [];
  const waiters: Array<() => void> = [];
  app.onCallEnded((record) => {
    records.push(record);
    for (const wake of waiters.splice(0)) wake();
  });
  const started = await app.start();
  opts.onStarted?.(started);
  const { port } = started;
  const forkUrl = (path = '/media/twilio') => `ws://127.0.0.1:${port}${path}?token=${config.secrets.mediaToken}`;
  return {
    app,
    sim,
    config,
    port,
    records,
    dataDir,
    forkUrl,
    async ended(n) {
      while (records.length < n) await new Promise<void>((resolve) => waiters.push(resolve));
      return records[n - 1]!;
    },
    caller: (callerOpts = {}) => SimulatedCaller.connect({ url: forkUrl(), to: '+15550100', maxCallMs: 30_000, ...callerOpts }),
    async close() {
      await app.close();
      await sim.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
