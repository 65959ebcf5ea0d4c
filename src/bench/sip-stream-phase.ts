/**
 * The SIP benchmark's main phase: N calls arrive at a fixed rate (INVITE → 200 timed for each),
 * all stay up while the RTP peers child records every packet the bridge sends them (send jitter
 * against the 20 ms grid): one window with the process left alone, then (by default) one with
 * its main event loop stalled on purpose. Then some callers barge in on the agent
 * (sip-barge-in-phase.ts), and the callers hang up one at a time, each BYE timed until the
 * simulator sees that call's model session closed. One BYE at a time is what tells which session
 * belongs to which BYE; the other calls keep streaming meanwhile.
 */
import type { RtpPeersChild } from './rtp-peers-child.js';
import type { ConversationReport } from './rtp-peers-protocol.js';
import { runBargeIns } from './sip-barge-in-phase.js';
import { isActive, ModelSessionEnds, placeCall, pollUntil, sleep, type PlacedCall } from './sip-calls.js';
import type { SipBridge } from './sip-bridge.js';
import { measureWindow, type StallSettings, type WindowResult } from './sip-window.js';

export interface StreamPhaseSettings {
  calls: number;
  callsPerSecond: number;
  warmupMs: number;
  windowMs: number;
  /** The peers send the caller's (silent) audio back, so the bridge's receive path is loaded too. */
  callerAudio: boolean;
  lateThresholdMs: number;
  /** A second window with the main loop stalled like this; undefined: no such window. */
  stalls: StallSettings | undefined;
  /** Calls whose caller barges in on the agent (the first ones placed). */
  bargeInCalls: number;
  /** Set: the quiet window's main thread is CPU-profiled into this file. */
  cpuProfilePath?: string;
}

export interface StreamPhaseResult {
  inviteTo200Ms: number[];
  /** INVITEs that got no 200 (refused, or no answer in time). */
  inviteFailures: string[];
  /** The main loop left alone. */
  quiet: WindowResult;
  /** The main loop stalled on purpose, when that window ran. */
  stalled: WindowResult | undefined;
  byeToModelClosedMs: number[];
  /** BYEs after which no model session closed in time, or more than one did. */
  byeAnomalies: string[];
  /** What the barge-in callers saw; analysed against the call records once the calls have ended. */
  conversations: ConversationReport[];
}

const SETUP_TIMEOUT_MS = 30_000;
const BYE_TIMEOUT_MS = 5_000;
/** Between windows: the child's analysis of the last one is done, the machine settles. */
const SETTLE_MS = 1_000;

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
  const placedPeers: number[] = [];
  attempts.forEach((attempt, n) => {
    if (attempt.status === 'fulfilled') {
      placed.push(attempt.value);
      placedPeers.push(n);
    } else inviteFailures.push(attempt.reason instanceof Error ? attempt.reason.message : String(attempt.reason));
  });
  // A call whose model session could not be opened ends instead; it must not stall the run.
  const endedBefore = bridge.ended.length;
  const settled = (call: PlacedCall): boolean =>
    isActive(bridge.app, call.from) || bridge.ended.slice(endedBefore).some((r) => r.identity.from === call.from);
  await pollUntil(() => placed.every(settled), 'every call to go active', SETUP_TIMEOUT_MS);
  if (s.callerAudio) await peers.call('send', { targets: placed.map((call) => call.rtpPort) });

  progress(`${placed.length} calls up; warm-up ${s.warmupMs} ms, then ${s.windowMs} ms of RTP measured in the child`);
  await sleep(s.warmupMs);
  const quiet = await measureWindow(peers, bridge.app.sip!.rtp, {
    windowMs: s.windowMs,
    lateThresholdMs: s.lateThresholdMs,
    calls: placed.length,
    ...(s.cpuProfilePath !== undefined && { cpuProfilePath: s.cpuProfilePath }),
  });
  let stalled: WindowResult | undefined;
  if (s.stalls) {
    await sleep(SETTLE_MS);
    progress(`${s.windowMs} ms more, the main loop stalled ${s.stalls.stallMs} ms every ${s.stalls.everyMs} ms`);
    stalled = await measureWindow(peers, bridge.app.sip!.rtp, {
      windowMs: s.windowMs,
      lateThresholdMs: s.lateThresholdMs,
      stalls: s.stalls,
    });
  }

  // The callers must be sending for the model to hear them; without caller audio there is no barge-in.
  const bargers = s.callerAudio ? placedPeers.slice(0, s.bargeInCalls) : [];
  if (bargers.length > 0) {
    await sleep(SETTLE_MS);
    progress(`${bargers.length} callers ask, let the answer play 500 ms, and talk over it`);
    await runBargeIns(peers, bargers);
  }
  const { peers: conversations } = bargers.length > 0 ? await peers.call('conversation', {}) : { peers: [] };

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
  await peers.call('close', {});
  return {
    inviteTo200Ms: placed.map((call) => call.inviteTo200Ms),
    inviteFailures,
    quiet,
    stalled,
    byeToModelClosedMs,
    byeAnomalies,
    conversations,
  };
}
