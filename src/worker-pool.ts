/**
 * `--workers N`: the primary process of a host. It runs no calls itself; it forks N workers (each
 * a whole bridge: node's cluster module shares the HTTP/WebSocket port among them, and each SIP
 * worker connects to drachtio-server, which shares INVITEs among its connections), restarts one
 * that dies, and passes signals on: SIGTERM drains every worker (a second one hurries them), SIGHUP
 * reloads their agents.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from './log.js';

/** A worker that dies sooner than this after it started is restarted after a pause, not at once. */
const CRASH_LOOP_MS = 5_000;
const RESTART_PAUSE_MS = 1_000;

export interface WorkerPoolOptions {
  count: number;
  logger: Logger;
  /** Extra environment for every worker (e.g. the simulator's media token). */
  env?: Record<string, string>;
}

export function runWorkerPool(opts: WorkerPoolOptions): void {
  const { count, logger } = opts;
  const workers = new Map<number, { worker: Worker; startedAt: number }>();
  let stopping = false;

  const fork = (index: number): void => {
    if (stopping) return;
    const worker = cluster.fork({ ...opts.env, BRIDGE_WORKER_INDEX: String(index), BRIDGE_WORKER_COUNT: String(count) });
    workers.set(index, { worker, startedAt: Date.now() });
    worker.on('exit', (code, signal) => {
      const entry = workers.get(index);
      if (entry?.worker !== worker) return;
      workers.delete(index);
      if (stopping) {
        if (workers.size === 0) {
          logger.info('all workers stopped');
          process.exit(0);
        }
        return;
      }
      // Its media sockets closed with it, so the far ends see those calls end; its records were
      // written as each call ended. A new worker takes its place (and its RTP port slice).
      const quick = Date.now() - (entry?.startedAt ?? 0) < CRASH_LOOP_MS;
      logger.error({ worker: index, pid: worker.process.pid, code, signal }, 'worker died: restarting it');
      setTimeout(() => fork(index), quick ? RESTART_PAUSE_MS : 0);
    });
  };

  for (let index = 0; index < count; index++) fork(index);
  logger.info({ workers: count }, 'worker pool started');

  // Workers ignore signals and take orders over the IPC channel, so a signal sent to the whole
  // group (systemd, Ctrl-C) counts once, as it would for one process.
  const tell = (message: 'stop' | 'reload'): void => {
    for (const { worker } of workers.values()) if (worker.isConnected()) worker.send(message);
  };
  const stop = (signal: NodeJS.Signals): void => {
    if (!stopping) logger.info({ signal }, 'stopping workers');
    stopping = true;
    if (workers.size === 0) process.exit(0);
    // A second signal hurries the workers' shutdown as it would one process's.
    tell('stop');
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => tell('reload'));
}
