/**
 * What one worker of `--workers N` gets of the host's shared settings: its own slice of the RTP
 * port range (so workers never race for the same port), and the rules that keep N workers from
 * silently breaking a guarantee one process would keep.
 */
import type { Config } from './config/schema.js';

export interface WorkerIdentity {
  index: number;
  count: number;
}

/** Read from the environment the primary sets for each worker; undefined in a single process. */
export function workerIdentity(env: NodeJS.ProcessEnv): WorkerIdentity | undefined {
  const index = Number(env.BRIDGE_WORKER_INDEX);
  const count = Number(env.BRIDGE_WORKER_COUNT);
  if (!Number.isInteger(index) || !Number.isInteger(count) || count < 2 || index < 0 || index >= count) return undefined;
  return { index, count };
}

/** Even-aligned consecutive slices of [portMin, portMax]; each holds at least one RTP/RTCP pair. */
export function rtpSlice(portMin: number, portMax: number, worker: WorkerIdentity): { portMin: number; portMax: number } {
  const first = portMin + (portMin % 2);
  const pairs = Math.floor((portMax - first + 1) / 2);
  const perWorker = Math.floor(pairs / worker.count);
  if (perWorker < 1) throw new Error(`sip.rtp port range ${portMin}-${portMax} is too small for ${worker.count} workers`);
  const start = first + worker.index * perWorker * 2;
  return { portMin: start, portMax: start + perWorker * 2 - 1 };
}

/** Adjusts a worker's configuration; throws when N workers could not keep what the config asks. */
export function applyWorkerSlice(config: Config, worker: WorkerIdentity): void {
  if (config.qwen.maxConcurrentSessions > 0 && config.records.store !== 'postgres') {
    throw new Error(
      'qwen.maxConcurrentSessions with --workers needs records.store: postgres (each worker would count only its own sessions)',
    );
  }
  const slice = rtpSlice(config.sip.rtp.portMin, config.sip.rtp.portMax, worker);
  config.sip.rtp.portMin = slice.portMin;
  config.sip.rtp.portMax = slice.portMax;
}
