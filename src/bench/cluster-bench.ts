/**
 * `npm run bench:cluster`: the fork load through one bridge worker, then through two
 * (`--workers 2`), each a real bridge process with its records and live calls in PostgreSQL.
 *
 * For each worker count the load steps up (`--step` calls at a time) until the path latency the
 * load driver measures (caller frame → model append, model delta → caller frame) breaks the bar
 * (`--bar-ms`, p99 of both directions) or a call fails, twice in a row at the same step (one
 * breach on a shared, noisy machine is repeated before it counts); the last step that held is the
 * calls sustained at that bar. Scaling efficiency is sustained(2) ÷ (2 × sustained(1)). At each step's
 * hang-up every call ends at once, and the time until all their records are in PostgreSQL gives the
 * records write rate at that load.
 *
 * The callers and the fake model run in a child process on the same machine, so on a 2-core host
 * the two workers share the cores with the load itself: read the efficiency with that in mind.
 * Uses DATABASE_URL when set, else a throwaway PostgreSQL server (Debian's binaries). Prints a
 * table, or with --json one JSON object as the last line of stdout; progress goes to stderr.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { freePort } from './free-port.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { armWatchdog, positiveInteger, progressReporter, recordMachine } from './bench-cli.js';
import { spawnLoadChild, type LoadChild } from './load-child.js';
import type { OpenCallsResult } from './load-protocol.js';
import { quantile } from './percentile.js';
import { findPostgresBin, startPostgres, type PostgresServer } from './throwaway-postgres.js';
import { upHoldBackSamples } from './up-hold-back.js';

const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));
const RUN_LIMIT_MS = 20 * 60_000;
const SETUP_TIMEOUT_MS = 60_000;
const IPC_TIMEOUT_MS = 10_000;
const HANGUP_TIMEOUT_MS = 5_000;

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    step: { type: 'string', default: '10' },
    'max-calls': { type: 'string', default: '200' },
    'bar-ms': { type: 'string', default: '20' },
    'warmup-ms': { type: 'string', default: '1500' },
    'window-ms': { type: 'string', default: '3000' },
  },
});
const settings = {
  step: positiveInteger('step', values.step),
  maxCalls: positiveInteger('max-calls', values['max-calls']),
  barMs: positiveInteger('bar-ms', values['bar-ms']),
  warmupMs: positiveInteger('warmup-ms', values['warmup-ms']),
  windowMs: positiveInteger('window-ms', values['window-ms']),
};
const progress = progressReporter('bench:cluster', performance.now());

interface StepResult {
  calls: number;
  active: number;
  upP50Ms: number;
  upP99Ms: number;
  downP50Ms: number;
  downP99Ms: number;
  held: boolean;
  /** Records of this step's calls committed after the hang-up, and how long that took. */
  records: { count: number; ms: number; perSecond: number };
}

interface WorkerRun {
  workers: number;
  steps: StepResult[];
  sustainedCalls: number;
}

interface BridgeProcess {
  child: ChildProcess;
  port: number;
  mediaToken: string;
  stop(): Promise<void>;
}

async function startBridgeProcess(workers: number, databaseUrl: string, modelUrl: string, configPath: string): Promise<BridgeProcess> {
  const port = await freePort();
  const mediaToken = randomBytes(16).toString('hex');
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--workers', String(workers)], {
    env: {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'info',
      BRIDGE_CONFIG: configPath,
      QWEN_URL: modelUrl,
      DASHSCOPE_API_KEY: randomBytes(16).toString('hex'),
      BRIDGE_MEDIA_TOKEN: mediaToken,
      RECORDS_STORE: 'postgres',
      DATABASE_URL: databaseUrl,
      MAX_CONCURRENT_CALLS: String(settings.maxCalls * 2),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let listening = 0;
  await new Promise<void>((resolve, reject) => {
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (line.includes('"msg":"bridge listening"')) listening += 1;
        if (listening === workers) resolve();
      }
    });
    void exited.then(() => reject(new Error('bridge process exited before listening')));
    setTimeout(() => reject(new Error('bridge process did not start')), SETUP_TIMEOUT_MS).unref();
  });
  return {
    child,
    port,
    mediaToken,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The bridge process of the run in progress, for a run cut short. */
let runningBridge: ChildProcess | undefined;

async function countRecords(pool: pg.Pool): Promise<number> {
  const result = await pool.query<{ n: string }>('SELECT count(*) AS n FROM calls');
  return Number(result.rows[0]?.n ?? 0);
}

async function runWorkers(workers: number, driver: LoadChild, adminUrl: string, configPath: string, holdBack: number): Promise<WorkerRun> {
  const dbName = `bench_${workers}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  const databaseUrl = url.toString();
  const bridge = await startBridgeProcess(workers, databaseUrl, driver.ready.modelUrl, configPath);
  runningBridge = bridge.child;
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  const steps: StepResult[] = [];
  try {
    let retried = false;
    for (let calls = settings.step; calls <= settings.maxCalls; calls += settings.step) {
      progress(`${workers} worker(s): ${calls} calls${retried ? ' (again)' : ''}`);
      const recordsBefore = await countRecords(pool);
      // Calls open one at a time (each paired with its model session): allow for that.
      const openTimeoutMs = SETUP_TIMEOUT_MS + calls * 1000;
      let opened: OpenCallsResult;
      try {
        opened = await driver.call(
          'open',
          {
            url: `ws://127.0.0.1:${bridge.port}/media/twilio?token=${bridge.mediaToken}`,
            calls,
            paired: true,
            media: true,
            stream: true,
            target: 'bridge',
            upHoldBackSamples: holdBack,
            timeoutMs: openTimeoutMs,
          },
          openTimeoutMs + IPC_TIMEOUT_MS,
        );
      } catch (err) {
        // Calls that could not even be set up in time: this load is past what the bridge holds.
        progress(`  calls not set up: ${err instanceof Error ? err.message : String(err)}`);
        await driver.call('hangup', { timeoutMs: HANGUP_TIMEOUT_MS }, 2 * HANGUP_TIMEOUT_MS + IPC_TIMEOUT_MS);
        const nan = Number.NaN;
        steps.push({
          calls,
          active: 0,
          upP50Ms: nan,
          upP99Ms: nan,
          downP50Ms: nan,
          downP99Ms: nan,
          held: false,
          records: { count: 0, ms: 0, perSecond: 0 },
        });
        if (retried) break;
        retried = true;
        calls -= settings.step;
        await sleep(2000);
        continue;
      }
      await sleep(settings.warmupMs);
      await driver.call('measure', { on: true }, IPC_TIMEOUT_MS);
      await sleep(settings.windowMs);
      await driver.call('measure', { on: false }, IPC_TIMEOUT_MS);
      const collected = await driver.call('collect', {}, IPC_TIMEOUT_MS);
      const hangupStarted = performance.now();
      await driver.call('hangup', { timeoutMs: HANGUP_TIMEOUT_MS }, 2 * HANGUP_TIMEOUT_MS + IPC_TIMEOUT_MS);
      // Every call of the step ends together: wait for all their records.
      const expected = recordsBefore + opened.opened;
      let stored = await countRecords(pool);
      while (stored < expected && performance.now() - hangupStarted < 30_000) {
        await sleep(10);
        stored = await countRecords(pool);
      }
      const recordsMs = performance.now() - hangupStarted;
      const p = (values: number[], q: number): number => (values.length === 0 ? Number.NaN : quantile(values, q));
      const step: StepResult = {
        calls,
        active: opened.active,
        upP50Ms: p(collected.upLatenciesMs, 0.5),
        upP99Ms: p(collected.upLatenciesMs, 0.99),
        downP50Ms: p(collected.downLatenciesMs, 0.5),
        downP99Ms: p(collected.downLatenciesMs, 0.99),
        held: false,
        records: { count: stored - recordsBefore, ms: recordsMs, perSecond: ((stored - recordsBefore) * 1000) / recordsMs },
      };
      step.held =
        opened.active === calls &&
        opened.failed === 0 &&
        step.upP99Ms <= settings.barMs &&
        step.downP99Ms <= settings.barMs &&
        collected.upLatenciesMs.length > 0;
      steps.push(step);
      progress(
        `  up p99 ${step.upP99Ms.toFixed(1)} ms, down p99 ${step.downP99Ms.toFixed(1)} ms, ${step.held ? 'held' : 'broke the bar'}; ` +
          `${step.records.count} records in ${step.records.ms.toFixed(0)} ms`,
      );
      await sleep(500);
      if (!step.held) {
        if (retried) break;
        retried = true;
        calls -= settings.step;
        continue;
      }
      retried = false;
    }
  } finally {
    await pool.end();
    await bridge.stop();
  }
  // The highest step that held below the first step that broke the bar twice.
  let sustainedCalls = 0;
  for (const step of steps) if (step.held) sustainedCalls = Math.max(sustainedCalls, step.calls);
  return { workers, steps, sustainedCalls };
}

const machine = recordMachine();
let driver: LoadChild | undefined;
let server: PostgresServer | undefined;
const killAll = (): void => {
  runningBridge?.kill('SIGKILL');
  void driver?.kill();
  server?.killNow();
};
armWatchdog('bench:cluster', RUN_LIMIT_MS, killAll);
// A run cut short must leave no bridge process or PostgreSQL server behind.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killAll();
    process.exit(1);
  });
}
const configDir = mkdtempSync(join(tmpdir(), 'qpb-bench-cluster-'));
const configPath = join(configDir, 'bench.yaml');
// No start-up model check (its session would pair with the first caller in the driver); media
// timeouts longer than any step; a small pool per worker.
writeFileSync(configPath, 'qwen:\n  startupCheck: false\ncalls:\n  mediaTimeoutMs: 120000\ncluster:\n  poolSize: 4\n');
const runs: WorkerRun[] = [];
try {
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const bin = findPostgresBin();
    if (bin === undefined) throw new Error('no DATABASE_URL and no PostgreSQL binaries: install postgresql or set DATABASE_URL');
    progress('starting a throwaway PostgreSQL server');
    server = await startPostgres(bin);
    adminUrl = server.url;
  }
  driver = await spawnLoadChild(RUN_LIMIT_MS);
  const holdBack = await upHoldBackSamples('fir');
  for (const workers of [1, 2]) runs.push(await runWorkers(workers, driver, adminUrl, configPath, holdBack));
} finally {
  await driver?.kill();
  await server?.stop();
  rmSync(configDir, { recursive: true, force: true });
}

const [one, two] = runs as [WorkerRun, WorkerRun];
const efficiency = one.sustainedCalls === 0 ? null : two.sustainedCalls / (2 * one.sustainedCalls);
const lastHeld = (run: WorkerRun) => run.steps.filter((step) => step.held).pop();
const report = {
  benchmark: 'cluster',
  ...machine(),
  settings,
  sustainedCalls: { workers1: one.sustainedCalls, workers2: two.sustainedCalls },
  scalingEfficiency: efficiency,
  scalingTarget: 0.8,
  recordsPerSecondAtSustainedLoad: {
    workers1: lastHeld(one)?.records.perSecond ?? null,
    workers2: lastHeld(two)?.records.perSecond ?? null,
  },
  runs,
};
if (values.json) {
  console.log(JSON.stringify(report));
} else {
  const fmt = (n: number) => n.toFixed(1);
  console.log(`calls sustained at p99 ≤ ${settings.barMs} ms both ways (steps of ${settings.step}):`);
  for (const run of runs) {
    console.log(`  ${run.workers} worker(s): ${run.sustainedCalls} calls`);
    for (const step of run.steps) {
      console.log(
        `    ${String(step.calls).padStart(4)} calls: up p50/p99 ${fmt(step.upP50Ms)}/${fmt(step.upP99Ms)} ms, down p50/p99 ` +
          `${fmt(step.downP50Ms)}/${fmt(step.downP99Ms)} ms, ${step.records.count} records in ${step.records.ms.toFixed(0)} ms ` +
          `(${step.records.perSecond.toFixed(0)}/s)${step.held ? '' : '  ← broke the bar'}`,
      );
    }
  }
  console.log(`scaling efficiency 1→2 workers: ${efficiency === null ? 'n/a' : efficiency.toFixed(2)} (target ≥ 0.8 × N)`);
  console.log(
    `load average (1 min) ${machine().loadAverage1m.start.toFixed(1)} → ${machine().loadAverage1m.end.toFixed(1)} on ${machine().cpus} cores`,
  );
}
process.exit(0);
