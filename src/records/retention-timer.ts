/**
 * Runs a retention sweep now and then every `intervalMs`, on an unref'd timer so it never keeps
 * the process alive. A sweep that fails is logged and tried again at the next tick; sweeps never
 * overlap.
 */
import type { Logger } from 'pino';

export const DAY_MS = 86_400_000;

/** Sweeps once an hour: retention is counted in days, so finer is wasted work. */
export const RETENTION_SWEEP_INTERVAL_MS = 3_600_000;

export interface RetentionTimer {
  /** Resolves when the sweep in progress (if any) has finished. */
  idle(): Promise<void>;
  stop(): void;
}

export function startRetentionTimer(opts: {
  what: string;
  intervalMs: number;
  sweep: () => Promise<number> | number;
  logger: Logger;
}): RetentionTimer {
  let running: Promise<void> | undefined;
  const tick = (): void => {
    if (running !== undefined) return;
    running = (async () => {
      try {
        const deleted = await opts.sweep();
        if (deleted > 0) opts.logger.info({ what: opts.what, deleted }, 'retention sweep deleted old items');
      } catch (err) {
        opts.logger.error({ what: opts.what, err: err instanceof Error ? err.message : String(err) }, 'retention sweep failed');
      } finally {
        running = undefined;
      }
    })();
  };
  const timer = setInterval(tick, opts.intervalMs);
  timer.unref();
  tick();
  return {
    idle: () => running ?? Promise.resolve(),
    stop: () => clearInterval(timer),
  };
}
