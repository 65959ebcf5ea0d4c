/**
 * Process memory after a full garbage collection, and the per-call difference between two such
 * snapshots. `npm run bench` runs without --expose-gc, so the collector is reached through V8's
 * flag at run time; without it the snapshots still work but include garbage (and say so).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface MemorySnapshot {
  rssBytes: number;
  heapUsedBytes: number;
  /** C++ objects bound to JS, including every ArrayBuffer (libsamplerate's 25 MiB heaps count here). */
  externalBytes: number;
  collected: boolean;
}

export interface MemoryPerCall {
  /** What the OS charges; includes allocator slack, so it is the noisier of the two. */
  rssBytes: number;
  /** V8 heap plus external memory held by live objects; the figure reported as memoryPerCallBytes. */
  heapAndExternalBytes: number;
  heapBytes: number;
  externalBytes: number;
  collected: boolean;
}

function findCollector(): (() => void) | undefined {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') return exposed;
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
}

const collect = findCollector();

export function memorySnapshot(): MemorySnapshot {
  if (collect) {
    // Twice: the first pass can leave objects whose finalizers free more.
    collect();
    collect();
  }
  const usage = process.memoryUsage();
  return { rssBytes: usage.rss, heapUsedBytes: usage.heapUsed, externalBytes: usage.external, collected: collect !== undefined };
}

export function memoryPerCall(before: MemorySnapshot, after: MemorySnapshot, calls: number): MemoryPerCall {
  const per = (delta: number): number => Math.round(delta / Math.max(1, calls));
  const heapBytes = per(after.heapUsedBytes - before.heapUsedBytes);
  const externalBytes = per(after.externalBytes - before.externalBytes);
  return {
    rssBytes: per(after.rssBytes - before.rssBytes),
    heapAndExternalBytes: heapBytes + externalBytes,
    heapBytes,
    externalBytes,
    collected: before.collected && after.collected,
  };
}
