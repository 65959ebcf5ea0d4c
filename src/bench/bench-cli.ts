/**
 * Set-up shared by the benchmark entry points (bench.ts, sip-bench.ts): option parsing, progress
 * lines on stderr, the watchdog that ends a stuck run, and the report's machine fields.
 */
import { cpus, loadavg } from 'node:os';

export function positiveInteger(name: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new RangeError(`--${name} must be a positive integer, got ${raw}`);
  return value;
}

/** Prints `<prefix>: <seconds since startedMs> s: <message>` to stderr (stdout is for the report). */
export function progressReporter(prefix: string, startedMs: number): (message: string) => void {
  return (message) => console.error(`${prefix}: ${((performance.now() - startedMs) / 1000).toFixed(1)} s: ${message}`);
}

/**
 * Ends the process with status 1 if it is still running after `limitMs`: past that the run is
 * stuck, not slow. `cleanUp` runs first (kill the child process); the timer does not keep the
 * process alive.
 */
export function armWatchdog(prefix: string, limitMs: number, cleanUp: () => void): void {
  setTimeout(() => {
    console.error(`${prefix}: still running after ${limitMs / 1000} s; giving up`);
    cleanUp();
    process.exit(1);
  }, limitMs).unref();
}

/** The machine fields every benchmark report starts with. */
export interface RunMachine {
  timestamp: string;
  node: string;
  cpus: number;
  cpuModel: string;
  loadAverage1m: { start: number; end: number };
}

/**
 * Takes the run's timestamp and the load average now; the returned function completes the
 * report's machine fields (load average at the end) when the report is assembled.
 */
export function recordMachine(): () => RunMachine {
  const timestamp = new Date().toISOString();
  const loadAverageAtStart = loadavg()[0] ?? 0;
  return () => ({
    timestamp,
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    loadAverage1m: { start: loadAverageAtStart, end: loadavg()[0] ?? 0 },
  });
}
