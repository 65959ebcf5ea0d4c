/**
 * One round of the loopback load test: N callers streaming both ways through either the bridge or
 * the plain relay, hosted in this process, whose CPU (`process.cpuUsage`, user + system) is read
 * over several short windows. The callers and the fake model run in the driver child process, so
 * none of their CPU is counted here (the kernel's loopback work is split between the two sides).
 */
import { randomBytes } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ResamplerBackend } from '../audio/resampler.js';
import { benchBridgeConfig, endReasons, startBridge } from './bridge-under-test.js';
import type { LoadChild } from './load-child.js';
import type { CollectResult, LoadTarget } from './load-protocol.js';
import { startCpuProfile } from './cpu-profile.js';
import { sampleThreadCpu } from './thread-cpu.js';
import { memoryPerCall, memorySnapshot, type MemoryPerCall } from './memory-probe.js';
import { startFloorBridge } from './floor-bridge.js';
import { startPlainRelay, RELAY_PATH } from './plain-relay.js';

/** Coarse on purpose: a 1 ms timer would add its own CPU to both sides of the comparison. */
export const LOAD_LOOP_RESOLUTION_MS = 10;
const SETUP_TIMEOUT_MS = 60_000;
const HANGUP_TIMEOUT_MS = 5_000;
const IPC_TIMEOUT_MS = 10_000;
/**
 * Before the memory baseline: the previous round's sockets are still referenced by their close
 * timers (the Qwen client's is 500 ms) and would otherwise count against this round's baseline.
 */
export const BASELINE_SETTLE_MS = 1_000;

export interface LoadRoundOptions {
  target: LoadTarget;
  /** The bridge's resampler backend (ignored by the relay). */
  backend: ResamplerBackend;
  calls: number;
  warmupMs: number;
  windowMs: number;
  windows: number;
  /** See OpenCallsRequest.upHoldBackSamples. */
  upHoldBackSamples: number;
  /** Set: the measured windows are CPU-profiled and the profile is written here (profile-stages.ts reads it). */
  cpuProfilePath?: string;
}

export interface CpuWindow {
  elapsedMs: number;
  /** Percent of one core. */
  userPercent: number;
  systemPercent: number;
  totalPercent: number;
  /** Of the total, the main thread and every other thread (Linux only; else null). */
  mainThreadPercent: number | null;
  otherThreadsPercent: number | null;
}

export interface LoadRoundResult {
  target: LoadTarget;
  calls: number;
  setupMs: number;
  cpuWindows: CpuWindow[];
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  driver: CollectResult;
  /** Calls streaming vs none, after GC. */
  memory: MemoryPerCall;
  /** Bridge only: calls that ended before the driver hung up, by reason (should be empty). */
  endedEarly: Record<string, number>;
  /** Bridge only: how the calls ended, by reason (caller_hangup for all, normally). */
  endReasons: Record<string, number>;
}

interface Target {
  url: string;
  endedSoFar(): number;
  ended(): Record<string, number>;
  endedFirst(count: number): Record<string, number>;
  close(): Promise<void>;
}

async function startTarget(driver: LoadChild, opts: LoadRoundOptions): Promise<Target> {
  if (opts.target === 'bridge') {
    const bridge = await startBridge({ modelUrl: driver.ready.modelUrl, backend: opts.backend, maxCalls: opts.calls });
    return {
      url: `ws://127.0.0.1:${bridge.port}/media/twilio?token=${bridge.mediaToken}`,
      endedSoFar: () => bridge.ended.length,
      ended: () => endReasons(bridge.ended),
      endedFirst: (count) => endReasons(bridge.ended.slice(0, count)),
      close: () => bridge.close(),
    };
  }
  const token = randomBytes(16).toString('hex');
  const apiKey = randomBytes(16).toString('hex');
  const relay =
    opts.target === 'floor'
      ? await startFloorBridge({ modelUrl: driver.ready.modelUrl, token, apiKey, appendBatchMs: benchBridgeConfig({ modelUrl: driver.ready.modelUrl, maxCalls: opts.calls }).qwen.appendBatchMs })
      : await startPlainRelay({ modelUrl: driver.ready.modelUrl, token, apiKey });
  return {
    url: `ws://127.0.0.1:${relay.port}${RELAY_PATH}?token=${token}`,
    endedSoFar: () => 0,
    ended: () => ({}),
    endedFirst: () => ({}),
    close: () => relay.close(),
  };
}

export async function runLoadRound(driver: LoadChild, opts: LoadRoundOptions): Promise<LoadRoundResult> {
  const target = await startTarget(driver, opts);
  try {
    await sleep(BASELINE_SETTLE_MS);
    const before = memorySnapshot();
    const opened = await driver.call(
      'open',
      {
        url: target.url,
        calls: opts.calls,
        paired: true,
        media: true,
        stream: true,
        target: opts.target,
        upHoldBackSamples: opts.target === 'relay' ? 0 : opts.upHoldBackSamples,
        timeoutMs: SETUP_TIMEOUT_MS,
      },
      SETUP_TIMEOUT_MS + IPC_TIMEOUT_MS,
    );
    await sleep(opts.warmupMs);

    const profiler = opts.cpuProfilePath === undefined ? undefined : await startCpuProfile();
    const loop = monitorEventLoopDelay({ resolution: LOAD_LOOP_RESOLUTION_MS });
    const cpuWindows: CpuWindow[] = [];
    for (let w = 0; w < opts.windows; w++) {
      await driver.call('measure', { on: true }, IPC_TIMEOUT_MS);
      loop.enable();
      const startedAt = performance.now();
      const startCpu = process.cpuUsage();
      const startThreads = sampleThreadCpu();
      await sleep(opts.windowMs);
      const cpu = process.cpuUsage(startCpu);
      const endThreads = sampleThreadCpu();
      const elapsedMs = performance.now() - startedAt;
      loop.disable();
      await driver.call('measure', { on: false }, IPC_TIMEOUT_MS);
      const percent = (micros: number): number => (micros / 1000 / elapsedMs) * 100;
      cpuWindows.push({
        elapsedMs,
        userPercent: percent(cpu.user),
        systemPercent: percent(cpu.system),
        totalPercent: percent(cpu.user + cpu.system),
        mainThreadPercent: startThreads && endThreads ? percent((endThreads.mainMs - startThreads.mainMs) * 1000) : null,
        otherThreadsPercent: startThreads && endThreads ? percent((endThreads.otherMs - startThreads.otherMs) * 1000) : null,
      });
    }
    if (profiler !== undefined && opts.cpuProfilePath !== undefined) await profiler.stopInto(opts.cpuProfilePath);
    const collected = await driver.call('collect', {}, IPC_TIMEOUT_MS);
    const after = memorySnapshot();
    const endedBeforeHangup = target.endedSoFar();
    const hangup = await driver.call('hangup', { timeoutMs: HANGUP_TIMEOUT_MS }, 2 * HANGUP_TIMEOUT_MS + IPC_TIMEOUT_MS);
    if (hangup.sessionsLeftOpen > 0) console.error(`bench: ${hangup.sessionsLeftOpen} model sessions did not close after hang-up`);
    return {
      target: opts.target,
      calls: opened.opened,
      setupMs: opened.elapsedMs,
      cpuWindows,
      loopDelayP99Ms: Math.max(0, loop.percentile(99) / 1e6 - LOAD_LOOP_RESOLUTION_MS),
      loopDelayMaxMs: Math.max(0, loop.max / 1e6 - LOAD_LOOP_RESOLUTION_MS),
      driver: collected,
      memory: memoryPerCall(before, after, opened.opened),
      endedEarly: target.endedFirst(endedBeforeHangup),
      endReasons: target.ended(),
    };
  } finally {
    await target.close();
  }
}
