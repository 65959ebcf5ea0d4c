/**
 * One measured window of `npm run bench:sip`: the RTP peers child records every packet the bridge
 * sends (send jitter against the 20 ms grid) while this process notes its own CPU (the RTP thread
 * included: process.cpuUsage counts every thread) and event-loop delay, optionally with the main
 * loop stalled on purpose.
 */
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startCpuProfile } from './cpu-profile.js';
import { startMainLoopStalls } from './main-loop-stalls.js';
import { readProfile, stageBreakdown, type StageBreakdown } from './profile-stages.js';
import { sampleThreadCpu, type ThreadCpuSample } from './thread-cpu.js';
import type { RtpStreams } from '../sip/rtp/rtp-stream.js';
import type { SlotTimingSummary } from '../sip/rtp/slot-timing.js';
import type { RtpPeersChild } from './rtp-peers-child.js';
import type { ReceiverSummary } from './rtp-peers-protocol.js';
import { sleep } from './sip-calls.js';

export interface StallSettings {
  stallMs: number;
  everyMs: number;
}

export interface WindowResult {
  receiver: ReceiverSummary;
  /** This process's CPU while the peers measured, % of one core (main thread and RTP thread together). */
  bridgeCpuPercent: number;
  /** This process's main event-loop delay while the peers measured (stalls included when there were any). */
  bridgeLoopDelayP99Ms: number;
  bridgeLoopDelayMaxMs: number;
  /**
   * The bridge's send clock in the window, as it timed itself: how late each slot's packets
   * started and finished going out. The far ends' arrival times add their own process's delays
   * (receiverLoopDelay); this does not.
   */
  sendClock: SlotTimingSummary;
  /** 1-minute load average at the start of the window. */
  loadAverage1m: number;
  /** Of the process's CPU: the main thread's and every other thread's (the RTP thread, GC helpers); Linux only. */
  mainThreadCpuPercent: number | null;
  otherThreadsCpuPercent: number | null;
  /** Main-thread CPU by stage, when the window was profiled (`--cpu-profile DIR`). */
  stages?: StageBreakdown;
  /** The stalls this window ran, when it ran any. */
  stalls?: StallSettings & { count: number; stalledMs: number };
}

export async function measureWindow(
  peers: RtpPeersChild,
  rtp: RtpStreams,
  s: { windowMs: number; lateThresholdMs: number; stalls?: StallSettings; calls?: number; cpuProfilePath?: string },
): Promise<WindowResult> {
  const loadAverage1m = loadavg()[0] ?? 0;
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  await rtp.inspect({ resetSendClock: true });
  await peers.call('measure', { on: true });
  const profiler = s.cpuProfilePath === undefined ? undefined : await startCpuProfile();
  const stalls = s.stalls ? startMainLoopStalls(s.stalls.stallMs, s.stalls.everyMs) : undefined;
  const threadsBefore = sampleThreadCpu();
  const cpuBefore = process.cpuUsage();
  const windowStarted = performance.now();
  await sleep(s.windowMs);
  const cpu = process.cpuUsage(cpuBefore);
  const threadsAfter = sampleThreadCpu();
  const elapsedMs = performance.now() - windowStarted;
  const stalled = stalls?.stop();
  const threadPercent = (pick: (t: ThreadCpuSample) => number): number | null =>
    threadsBefore && threadsAfter ? ((pick(threadsAfter) - pick(threadsBefore)) / elapsedMs) * 100 : null;
  await peers.call('measure', { on: false });
  const { sendClock } = await rtp.inspect();
  loop.disable();
  // Writing the profile blocks the loop for a while: only once nothing is being measured.
  if (profiler !== undefined && s.cpuProfilePath !== undefined) await profiler.stopInto(s.cpuProfilePath);
  // Analysed between windows, when the child's CPU no longer matters to a measurement.
  const receiver = await peers.call('summary', { lateThresholdMs: s.lateThresholdMs }, 30_000);
  return {
    receiver,
    bridgeCpuPercent: ((cpu.user + cpu.system) / 1000 / elapsedMs) * 100,
    bridgeLoopDelayP99Ms: loop.percentile(99) / 1e6,
    bridgeLoopDelayMaxMs: loop.max / 1e6,
    sendClock,
    loadAverage1m,
    mainThreadCpuPercent: threadPercent((t) => t.mainMs),
    otherThreadsCpuPercent: threadPercent((t) => t.otherMs),
    ...(s.cpuProfilePath !== undefined && { stages: stageBreakdown(readProfile(s.cpuProfilePath), s.calls ?? 1) }),
    ...(s.stalls && stalled ? { stalls: { ...s.stalls, count: stalled.stalls, stalledMs: stalled.stalledMs } } : {}),
  };
}
