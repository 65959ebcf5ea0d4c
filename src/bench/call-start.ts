/**
 * How long the bridge's event loop stops while many calls start at once, and what a call costs in
 * memory once it is up. Every caller connects at the same moment; the phase ends when every model
 * session has been asked for its greeting (the call is active). The fake model answers that
 * greeting with an empty response, so no audio work overlaps the set-up being measured.
 *
 * A few calls are started and ended first, so the figure is what a running bridge sees, not the
 * one-off cost of compiling its code paths (which lands on the first calls after a restart).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ResamplerBackend } from '../audio/resampler.js';
import { endReasons, startBridge } from './bridge-under-test.js';
import type { LoadChild } from './load-child.js';
import { BASELINE_SETTLE_MS } from './load-round.js';
import { memoryPerCall, memorySnapshot, type MemoryPerCall } from './memory-probe.js';

/** The finest the histogram allows: a block shorter than this cannot be told from timer jitter. */
export const LOOP_RESOLUTION_MS = 1;
const HANGUP_TIMEOUT_MS = 5_000;
const WARM_UP_CALLS = 2;
/** Calls started one at a time for the per-call figure. */
const SINGLE_STARTS = 9;
/** Slack on top of the driver's own deadline for the IPC round trip. */
const IPC_SLACK_MS = 5_000;

export interface CallStartResult {
  backend: ResamplerBackend;
  calls: number;
  /** Longest event-loop stall while the calls started: histogram max minus its resolution. */
  blockMs: number;
  /**
   * One call starting on a quiet bridge, repeated: median and worst of each start's longest
   * stall. This is the per-call figure; `blockMs` is a burst of `calls` starting together, where
   * several starts share one turn of the loop.
   */
  singleBlockMedianMs: number;
  singleBlockWorstMs: number;
  loopDelayP99Ms: number;
  /** First connection until every call was active or had failed. */
  allActiveMs: number;
  /** Calls that went active; the rest failed to start (see endReasons for why). */
  activeCalls: number;
  /** Calls up (no audio flowing) vs none, after GC. */
  memory: MemoryPerCall;
  endReasons: Record<string, number>;
}

export async function measureCallStart(
  driver: LoadChild,
  backend: ResamplerBackend,
  calls: number,
  timeoutMs: number,
): Promise<CallStartResult> {
  const bridge = await startBridge({ modelUrl: driver.ready.modelUrl, backend, maxCalls: Math.max(calls, WARM_UP_CALLS) });
  const startAll = (count: number) =>
    driver.call(
      'open',
      {
        url: `ws://127.0.0.1:${bridge.port}/media/twilio?token=${bridge.mediaToken}`,
        calls: count,
        paired: false,
        media: false,
        stream: false,
        target: 'bridge',
        upHoldBackSamples: 0,
        timeoutMs,
      },
      timeoutMs + IPC_SLACK_MS,
    );
  const hangUpAll = () => driver.call('hangup', { timeoutMs: HANGUP_TIMEOUT_MS }, 2 * HANGUP_TIMEOUT_MS + IPC_SLACK_MS);
  try {
    await startAll(WARM_UP_CALLS);
    await hangUpAll();
    const warmUpEnded = bridge.ended.length;
    await sleep(BASELINE_SETTLE_MS);
    const before = memorySnapshot();
    const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
    loop.enable();
    let opened;
    try {
      opened = await startAll(calls);
    } finally {
      loop.disable();
    }
    const after = memorySnapshot();
    await hangUpAll();
    const single: number[] = [];
    for (let i = 0; i < SINGLE_STARTS; i++) {
      const one = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
      one.enable();
      try {
        await startAll(1);
      } finally {
        one.disable();
      }
      single.push(Math.max(0, one.max / 1e6 - LOOP_RESOLUTION_MS));
      await hangUpAll();
    }
    single.sort((a, b) => a - b);
    return {
      singleBlockMedianMs: single[Math.floor(single.length / 2)] ?? 0,
      singleBlockWorstMs: single[single.length - 1] ?? 0,
      backend,
      calls,
      blockMs: Math.max(0, loop.max / 1e6 - LOOP_RESOLUTION_MS),
      loopDelayP99Ms: Math.max(0, loop.percentile(99) / 1e6 - LOOP_RESOLUTION_MS),
      allActiveMs: opened.elapsedMs,
      activeCalls: opened.active,
      memory: memoryPerCall(before, after, calls),
      endReasons: endReasons(bridge.ended.slice(warmUpEnded)),
    };
  } finally {
    await bridge.close();
  }
}
