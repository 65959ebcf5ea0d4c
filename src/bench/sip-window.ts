/**
 * One measured window of `npm run bench:sip`: the RTP peers child records every packet the bridge
 * sends (send jitter against the 20 ms grid) while this process notes its own CPU (the RTP thread
 * included: process.cpuUsage counts every thread) and event-loop delay, optionally with the main
 * loop stalled on purpose.
 */
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startMainLoopStalls } from './main-loop-stalls.js';
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
  /** The stalls this window ran, when it ran any. */
  stalls?: StallSettings & { count: number; stalledMs: number };
}

export async function measureWindow(
  peers: RtpPeersChild,
  rtp: RtpStreams,
  s: { windowMs: number; lateThresholdMs: number; stalls?: StallSettings },
): Promise<WindowResult> {
  const loadAverage1m = loadavg()[0] ?? 0;
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  await rtp.inspect({ resetSendClock: true });
  await peers.call('measure', { on: true });
  const stalls = s.stalls ? startMainLoopStalls(s.stalls.stallMs, s.stalls.everyMs) : undefined;
  const cpuBefore = process.cpuUsage();
  const windowStarted = performance.now();
  await sleep(s.windowMs);
  const cpu = process.cpuUsage(cpuBefore);
  const elapsedMs = performance.now() - windowStarted;
  const stalled = stalls?.stop();
  await peers.call('measure', { on: false });
  const { sendClock } = await rtp.inspect();
  loop.disable();
  // Analysed between windows, when the child's CPU no longer matters to a measurement.
  const receiver = await peers.call('summary', { lateThresholdMs: s.lateThresholdMs }, 30_000);
  return {
    receiver,
    bridgeCpuPercent: ((cpu.user + cpu.system) / 1000 / elapsedMs) * 100,
    bridgeLoopDelayP99Ms: loop.percentile(99) / 1e6,
    bridgeLoopDelayMaxMs: loop.max / 1e6,
    sendClock,
    loadAverage1m,
    ...(s.stalls && stalled ? { stalls: { ...s.stalls, count: stalled.stalls, stalledMs: stalled.stalledMs } } : {}),
  };
}
