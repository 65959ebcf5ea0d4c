/**
 * `npm run bench:flood`: hostile load beside healthy calls, measured on the bridge's side.
 *
 *   1. a stream floods audio as fast as the bridge reads it (one authenticated Twilio stream);
 *   2. 1,000 connections authenticate and never send `start`.
 *
 * This process hosts only the bridge, so its CPU is the bridge's; the Qwen simulator and the
 * healthy callers run in one child process (flood-driver.ts), which also times the healthy
 * callers' agent frames, and the attacker in another. Prints a table, or with `-- --json` one
 * JSON line last.
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../app.js';
import { loadConfig } from '../config/load.js';
import { createLogger } from '../log.js';
import { ChildRpc } from './child-rpc.js';
import type { FloodCalls, FloodReady } from './flood-protocol.js';

const DRIVER_PATH = fileURLToPath(new URL('./flood-driver.ts', import.meta.url));
const HEALTHY_CALLS = 5;
const IDLE_CONNECTIONS = 1_000;
const START_TIMEOUT_MS = 3_000;
const json = process.argv.includes('--json');

async function measured<T>(run: () => Promise<T>): Promise<{ result: T; cpuPct: number; loopDelayP99Ms: number; loopDelayMaxMs: number }> {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const result = await run();
  const wallMs = performance.now() - t0;
  const used = process.cpuUsage(cpu);
  delay.disable();
  return {
    result,
    cpuPct: Math.round(((used.user + used.system) / 1000 / wallMs) * 100),
    loopDelayP99Ms: Math.round(delay.percentile(99) / 1e6),
    loopDelayMaxMs: Math.round(delay.max / 1e6),
  };
}

const driver = await ChildRpc.spawn<FloodCalls, FloodReady>({ path: DRIVER_PATH, label: 'flood driver', maxLifetimeMs: 120_000 });
const attacker = await ChildRpc.spawn<FloodCalls, FloodReady>({ path: DRIVER_PATH, label: 'attacker', maxLifetimeMs: 120_000 });
const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', RECORDS_DB_PATH: ':memory:', QWEN_URL: driver.ready.simUrl });
config.media.startTimeoutMs = START_TIMEOUT_MS;
config.calls.maxConcurrent = HEALTHY_CALLS + 10;
const mediaToken = randomBytes(16).toString('hex');
config.secrets = { dashscopeApiKey: driver.ready.apiKey, mediaToken };
const app = buildApp(config, createLogger(config.log.level, process.stderr));
const ended: { endReason: string; externalId: string; overBudgetMs: number }[] = [];
app.onCallEnded((r) => ended.push({ endReason: r.endReason, externalId: r.identity.externalId, overBudgetMs: r.stats.uplinkOverBudgetMs }));
const { port } = await app.start();
const url = `ws://127.0.0.1:${port}/media/twilio?token=${mediaToken}`;

try {
  await driver.call('connectHealthy', { url, calls: HEALTHY_CALLS }, 30_000);
  const windowed = async <T>(run: () => Promise<T>) => {
    await driver.call('startWindow', null);
    const m = await measured(run);
    return { ...m, healthy: await driver.call('endWindow', null) };
  };
  const quiet = await windowed(() => new Promise((resolve) => setTimeout(resolve, 2_000)));
  const floodRun = await windowed(() => attacker.call('flood', { url, maxWallMs: 20_000 }, 30_000));
  const floodInput = await driver.call('modelInput', { session: HEALTHY_CALLS + 1 });
  const burst = await windowed(() => attacker.call('idleBurst', { url, connections: IDLE_CONNECTIONS, timeoutMs: START_TIMEOUT_MS + 10_000 }, 30_000));
  const hangup = await driver.call('hangup', null, 10_000);
  const f = { ...floodRun.result, modelInputMs: floodInput.ms, healthy: floodRun.healthy };
  const report = {
    bench: 'flood',
    loadAverage: loadavg().map((l) => +l.toFixed(2)),
    healthyCalls: HEALTHY_CALLS,
    quiet: { bridgeCpuPct: quiet.cpuPct, loopDelayP99Ms: quiet.loopDelayP99Ms, healthyMaxGapMs: quiet.healthy.maxGapMs },
    flood: {
      offeredX: Math.round(f.offeredAudioMs / f.wallMs),
      wallMs: Math.round(f.wallMs),
      modelInputMs: Math.round(f.modelInputMs),
      modelInputPerWall: +(f.modelInputMs / f.wallMs).toFixed(2),
      close: `${f.closeCode} ${f.closeReason}`,
      bridgeCpuPct: floodRun.cpuPct,
      loopDelayP99Ms: floodRun.loopDelayP99Ms,
      loopDelayMaxMs: floodRun.loopDelayMaxMs,
      healthyMaxGapMs: f.healthy.maxGapMs,
      healthyMedianMaxGapMs: f.healthy.medianMaxGapMs,
    },
    idleBurst: {
      connections: IDLE_CONNECTIONS,
      opened: burst.result.opened,
      openMs: burst.result.openMs,
      closeCodes: burst.result.closeCodes,
      bridgeCpuPct: burst.cpuPct,
      loopDelayP99Ms: burst.loopDelayP99Ms,
      loopDelayMaxMs: burst.loopDelayMaxMs,
      healthyMaxGapMs: burst.healthy.maxGapMs,
      healthyMedianMaxGapMs: burst.healthy.medianMaxGapMs,
    },
    healthyAudio: {
      sentMs: hangup.sentMs,
      modelInputMs: hangup.modelInputMs,
      overBudgetMs: ended.filter((e) => e.externalId.startsWith('CAhealthy')).map((e) => e.overBudgetMs),
    },
    endReasons: ended.map((e) => e.endReason),
  };
  if (json) console.log(JSON.stringify(report));
  else {
    const rows: [string, string][] = [
      ['flood offered (× real time)', `${report.flood.offeredX}× for ${report.flood.wallMs} ms, closed ${report.flood.close}`],
      ['flood audio reaching the model', `${report.flood.modelInputMs} ms (${report.flood.modelInputPerWall}× its wall time)`],
      ['bridge CPU: quiet / flood / idle burst', `${report.quiet.bridgeCpuPct} / ${report.flood.bridgeCpuPct} / ${report.idleBurst.bridgeCpuPct} %`],
      ['bridge loop delay p99 (max): flood / idle burst', `${report.flood.loopDelayP99Ms} (${report.flood.loopDelayMaxMs}) / ${report.idleBurst.loopDelayP99Ms} (${report.idleBurst.loopDelayMaxMs}) ms`],
      [
        'healthy callers, worst agent-frame gap: quiet / flood / idle burst',
        `${report.quiet.healthyMaxGapMs} / ${report.flood.healthyMaxGapMs} / ${report.idleBurst.healthyMaxGapMs} ms (median of calls, flood ${report.flood.healthyMedianMaxGapMs}, burst ${report.idleBurst.healthyMedianMaxGapMs})`,
      ],
      ['idle burst', `${report.idleBurst.opened} opened in ${report.idleBurst.openMs} ms; closes ${JSON.stringify(report.idleBurst.closeCodes)}`],
      ['healthy audio sent / at the model (ms)', `${report.healthyAudio.sentMs.join(', ')} / ${report.healthyAudio.modelInputMs.join(', ')}`],
      ['load average', report.loadAverage.join(' ')],
    ];
    for (const [name, value] of rows) console.log(`${name.padEnd(66)} ${value}`);
  }
} finally {
  await app.close();
  await driver.kill();
  await attacker.kill();
}
