/**
 * The SIP benchmark's main phase: N calls arrive at a fixed rate (INVITE → 200 timed for each),
 * all stay up while the RTP peers child records every packet the bridge sends them (send jitter
 * against the 20 ms grid), then the callers hang up one at a time, each BYE timed until the
 * simulator sees that call's model session closed. One BYE at a time is what tells which
 * session belongs to which BYE; the other calls keep streaming meanwhile.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { ReceiverSummary } from './rtp-peers-protocol.js';
import type { RtpPeersChild } from './rtp-peers-child.js';
import { isActive, ModelSessionEnds, placeCall, pollUntil, sleep, type PlacedCall } from './sip-calls.js';
import type { SipBridge } from './sip-bridge.js';

export interface StreamPhaseSettings {
  calls: number;
  callsPerSecond: number;
  warmupMs: number;
  windowMs: number;
  /** The peers send the caller's (silent) audio back, so the bridge's receive path is loaded too. */
  callerAudio: boolean;
  lateThresholdMs: number;
}

export interface StreamPhaseResult {
  inviteTo200Ms: number[];
  /** INVITEs that got no 200 (refused, or no answer in time). */
  inviteFailures: string[];
  receiver: ReceiverSummary;
  /** This process's CPU while the peers measured, % of one core: near 100 means the loop itself was the limit. */
  bridgeCpuPercent: number;
  /** This process's event-loop delay while the peers measured: the bridge's own scheduling noise. */
  bridgeLoopDelayP99Ms: number;
  bridgeLoopDelayMaxMs: number;
  byeToModelClosedMs: number[];
  /** BYEs after which no model session closed in time, or more than one did. */
  byeAnomalies: string[];
}

const SETUP_TIMEOUT_MS = 30_000;
const BYE_TIMEOUT_MS = 5_000;

export async function runStreamPhase(
  bridge: SipBridge,
  peers: RtpPeersChild,
  s: StreamPhaseSettings & { firstCallNumber: number },
  progress: (message: string) => void,
): Promise<StreamPhaseResult> {
  const { ports } = await peers.call('open', { count: s.calls });
  progress(`${s.calls} INVITEs at ${s.callsPerSecond} per second`);
  const started = performance.now();
  const attempts = await Promise.allSettled(
    ports.map(async (port, n) => {
      await sleep(Math.max(0, started + (n * 1000) / s.callsPerSecond - performance.now()));
      return placeCall(bridge.drachtio, s.firstCallNumber + n, port);
    }),
  );
  const placed: PlacedCall[] = [];
  const inviteFailures: string[] = [];
  for (const attempt of attempts) {
    if (attempt.status === 'fulfilled') placed.push(attempt.value);
    else inviteFailures.push(attempt.reason instanceof Error ? attempt.reason.message : String(attempt.reason));
  }
  // A call whose model session could not be opened ends instead; it must not stall the run.
  const endedBefore = bridge.ended.length;
  const settled = (call: PlacedCall): boolean =>
    isActive(bridge.app, call.from) || bridge.ended.slice(endedBefore).some((r) => r.identity.from === call.from);
  await pollUntil(() => placed.every(settled), 'every call to go active', SETUP_TIMEOUT_MS);
  if (s.callerAudio) await peers.call('send', { targets: placed.map((call) => call.rtpPort) });

  progress(`${placed.length} calls up; warm-up ${s.warmupMs} ms, then ${s.windowMs} ms of RTP measured in the child`);
  await sleep(s.warmupMs);
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  await peers.call('measure', { on: true });
  const cpuBefore = process.cpuUsage();
  const windowStarted = performance.now();
  await sleep(s.windowMs);
  const cpu = process.cpuUsage(cpuBefore);
  const bridgeCpuPercent = ((cpu.user + cpu.system) / 1000 / (performance.now() - windowStarted)) * 100;
  await peers.call('measure', { on: false });
  loop.disable();

  progress(`${placed.length} BYEs, one at a time`);
  const ends = new ModelSessionEnds(bridge.model, 120_000);
  const byeToModelClosedMs: number[] = [];
  const byeAnomalies: string[] = [];
  for (const call of placed) {
    if (!isActive(bridge.app, call.from)) {
      byeAnomalies.push(`${call.from}: the call had ended before its BYE`);
      continue;
    }
    ends.watchAll();
    const endsBefore = ends.count;
    const sentAt = performance.now();
    const bye = bridge.drachtio.sendBye(call.dialog);
    try {
      byeToModelClosedMs.push((await ends.nth(endsBefore + 1, BYE_TIMEOUT_MS)) - sentAt);
      if ((await bye.finalResponse()).status !== 200) byeAnomalies.push(`${call.from}: BYE not answered 200`);
      if (ends.count > endsBefore + 1) byeAnomalies.push(`${call.from}: ${ends.count - endsBefore} model sessions closed`);
    } catch (err) {
      byeAnomalies.push(`${call.from}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  // Analysed only now: sorting tens of thousands of samples in the child takes CPU the BYEs need.
  const receiver = await peers.call('summary', { lateThresholdMs: s.lateThresholdMs }, 30_000);
  await peers.call('close', {});
  return {
    inviteTo200Ms: placed.map((call) => call.inviteTo200Ms),
    inviteFailures,
    receiver,
    bridgeCpuPercent,
    bridgeLoopDelayP99Ms: loop.percentile(99) / 1e6,
    bridgeLoopDelayMaxMs: loop.max / 1e6,
    byeToModelClosedMs,
    byeAnomalies,
  };
}
