/**
 * Process entry: configuration, logger, the app, signals, exit codes. The only file that reads
 * process.argv and installs signal handlers.
 *
 *   node dist/main.js              production: needs DASHSCOPE_API_KEY and BRIDGE_MEDIA_TOKEN
 *   node dist/main.js --simulate   everything real except the model: the built-in simulator
 *   node dist/main.js --workers 4  four worker processes sharing the ports (worker-pool.ts)
 */
import cluster from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { buildApp } from './app.js';
import { loadConfig } from './config/load.js';
import { createLogger } from './log.js';
import { loggableUrl } from './loggable-url.js';
import { runWorkerPool } from './worker-pool.js';
import { applyWorkerSlice, workerIdentity } from './worker-slice.js';

const SHUTDOWN_GRACE_MS = 30_000;
/** After a second signal: ending calls, writing records and the webhook queue's 5 s must fit. */
const HURRIED_EXIT_MS = 10_000;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      simulate: { type: 'boolean', default: false },
      workers: { type: 'string', default: '1' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(
      'usage: qwen-phone-bridge [--simulate] [--workers N]\n' +
        '  --simulate   answer calls with the built-in Qwen-Omni-Realtime simulator (no API key)\n' +
        '  --workers N  run N worker processes (one per core): shared HTTP port, one drachtio connection and RTP port slice each',
    );
    return;
  }
  const workers = Number(values.workers);
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) {
    console.error(`--workers must be a whole number from 1 to 64, got ${values.workers}`);
    process.exitCode = 2;
    return;
  }
  const config = loadConfig();
  const logger = createLogger(config.log.level);
  if (workers > 1 && cluster.isPrimary) {
    const env: Record<string, string> = {};
    if (values.simulate) {
      // One simulator for all workers, as there is one model service: a listen(0) inside a worker
      // would be shared among the workers by the cluster module, each with its own key.
      const { startQwenSimulator } = await import('./sim/qwen/server.js');
      const simKey = randomBytes(16).toString('hex');
      const sim = await startQwenSimulator({ apiKey: simKey });
      env.BRIDGE_SIMULATOR_URL = sim.url;
      env.BRIDGE_SIMULATOR_KEY = simKey;
      logger.warn({ url: loggableUrl(sim.url) }, 'SIMULATOR: calls are answered by the built-in Qwen simulator, not the real model');
      // One media token for every worker, so one URL reaches any of them.
      if (!config.secrets.mediaToken) {
        env.BRIDGE_MEDIA_TOKEN = randomBytes(16).toString('hex');
        console.log(`media token for this run: ${env.BRIDGE_MEDIA_TOKEN}`);
      }
    }
    runWorkerPool({ count: workers, logger, env });
    return;
  }
  const worker = workerIdentity(process.env);
  if (worker !== undefined) applyWorkerSlice(config, worker);

  let stopSimulator: (() => Promise<void>) | undefined;
  const sharedSim = worker !== undefined && process.env.BRIDGE_SIMULATOR_URL && process.env.BRIDGE_SIMULATOR_KEY;
  if (values.simulate && sharedSim) {
    // A worker of --workers N --simulate: the primary runs the simulator and said so loudly.
    config.qwen.url = process.env.BRIDGE_SIMULATOR_URL!;
    const simKey = process.env.BRIDGE_SIMULATOR_KEY!;
    config.secrets.dashscopeApiKey = simKey;
    config.secrets.dashscopeRegionKeys = { singapore: simKey, beijing: simKey };
  } else if (values.simulate) {
    // The simulator never stands in for the real model silently: only with --simulate, and loudly.
    // Loaded here, not at the top: a production start never loads src/sim (lint keeps it so).
    const { startQwenSimulator } = await import('./sim/qwen/server.js');
    const simKey = randomBytes(16).toString('hex');
    const sim = await startQwenSimulator({ apiKey: simKey });
    stopSimulator = () => sim.close();
    config.qwen.url = sim.url;
    config.secrets.dashscopeApiKey = simKey;
    // Every agent's region is answered by the simulator, whatever keys the environment holds.
    config.secrets.dashscopeRegionKeys = { singapore: simKey, beijing: simKey };
    logger.warn({ url: loggableUrl(sim.url) }, 'SIMULATOR: calls are answered by the built-in Qwen simulator, not the real model');
    if (!config.secrets.mediaToken) {
      config.secrets.mediaToken = randomBytes(16).toString('hex');
      // Printed once to the console (not the log) so a person can point a fork at the bridge.
      console.log(`media token for this run: ${config.secrets.mediaToken}`);
    }
  } else if (!config.secrets.dashscopeApiKey) {
    console.error('DASHSCOPE_API_KEY is not set. Set it (keys belong to a region: see qwen.region), or run with --simulate.');
    process.exitCode = 2;
    return;
  } else if (!config.secrets.mediaToken) {
    console.error('BRIDGE_MEDIA_TOKEN is not set: the media endpoint does not run without a secret.');
    process.exitCode = 2;
    return;
  }

  const app = buildApp(config, logger);
  await app.start();
  // A wrong key or region shows up now, in the log and on /readyz, not on the first caller.
  if (config.qwen.startupCheck) void app.checkModel();

  let signals = 0;
  const stop = (signal: string): void => {
    signals += 1;
    if (signals === 2) {
      // Impatience ends the grace, not the bookkeeping: live calls are ended now and their
      // records still written. A third signal (or a shutdown stuck for 10 s) exits regardless.
      logger.warn({ signal }, 'second signal: ending calls now');
      void app.close();
      setTimeout(() => process.exit(1), HURRIED_EXIT_MS).unref();
      return;
    }
    if (signals > 2) {
      logger.warn({ signal }, 'third signal: exiting now');
      process.exit(1);
    }
    logger.info({ signal }, 'shutting down');
    void app
      .close(SHUTDOWN_GRACE_MS)
      .then(() => stopSimulator?.())
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  // Reload agent files without dropping calls: live calls keep the profile they started with;
  // an invalid folder keeps the current agents (the error is logged).
  process.on('SIGHUP', () => {
    logger.info({ signal: 'SIGHUP' }, 'reloading agents');
    app.agents.reload();
  });
  if (worker !== undefined) {
    // A worker takes its orders from the primary only: a service manager that signals the whole
    // group (systemd, Ctrl-C) would otherwise count every signal twice.
    process.on('SIGTERM', () => undefined);
    process.on('SIGINT', () => undefined);
    process.on('message', (message: unknown) => {
      if (message === 'stop') stop('primary');
      else if (message === 'reload') app.agents.reload();
    });
    // The primary is gone (killed): nobody will restart or stop this worker, so it drains and leaves.
    process.on('disconnect', () => stop('primary gone'));
    return;
  }
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
