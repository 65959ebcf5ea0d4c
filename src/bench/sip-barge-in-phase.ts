/**
 * The SIP benchmark's barge-in measurement, on some of the calls already up: each caller (the
 * RTP peers child, see barge-in-caller.ts) asks a question, lets the agent's answer play for
 * half a second and talks over it. The model's speech_started reaches the bridge, which stops the
 * agent. How well it stopped is read on the wire: the agent-audio packets the caller received
 * after the bridge handled speech_started, and when the last one arrived, relative to that.
 *
 * When the bridge handled it comes from the call record (the barge-in's offset from the call's
 * start, rounded to the millisecond) and the call's start as this process saw it; arrival times
 * come from the child. Both are epoch milliseconds (timeOrigin + now), so they compare across the
 * two processes to well under a millisecond plus the rounding. A packet sent just before the
 * clear can still arrive just after it: that is what "on the wire" means, and the time of the last
 * packet says how far past it was.
 */
import type { CallRecord } from '../call/call-record.js';
import { quantile } from './percentile.js';
import type { RtpPeersChild } from './rtp-peers-child.js';
import type { ConversationReport } from './rtp-peers-protocol.js';
import { sleep } from './sip-calls.js';

/** Agent audio for this long before the caller talks over it. */
const BARGE_IN_AFTER_AGENT_MS = 500;
const PHASE_TIMEOUT_MS = 20_000;

export interface BargeInCallResult {
  from: string;
  /** The bridge handled speech_started: epoch ms; null when the record shows no barge-in during the tone. */
  speechStartedAtMs: number | null;
  /** Agent-audio packets that arrived after that and before the caller stopped talking. */
  agentPacketsAfter: number;
  /** Arrival of the last agent-audio packet before the caller stopped talking, relative to speech_started. */
  lastAgentPacketMs: number | null;
  /** The caller's tone began → the bridge handled speech_started (model VAD and append batching included). */
  detectedAfterMs: number | null;
}

export interface BargeInSummary {
  calls: number;
  /** Calls whose barge-in the bridge recorded. */
  measured: number;
  missed: string[];
  agentPacketsAfterSpeechStartedTotal: number;
  agentPacketsAfterSpeechStartedP50: number;
  agentPacketsAfterSpeechStartedP99: number;
  agentPacketsAfterSpeechStartedMax: number;
  callsWithAgentPacketsAfter: number;
  lastAgentPacketAfterSpeechStartedP50Ms: number;
  lastAgentPacketAfterSpeechStartedP99Ms: number;
  lastAgentPacketAfterSpeechStartedMaxMs: number;
  speechStartedAfterCallerSpokeP50Ms: number;
}

/** Starts the script on peers[indexes] and waits until every caller has barged in and stopped talking. */
export async function runBargeIns(peers: RtpPeersChild, indexes: number[]): Promise<void> {
  if (indexes.length === 0) return;
  await peers.call('converse', { peers: indexes, bargeInAfterAgentMs: BARGE_IN_AFTER_AGENT_MS });
  const deadline = performance.now() + PHASE_TIMEOUT_MS;
  for (;;) {
    const { peers: reports } = await peers.call('conversation', {});
    if (reports.every((r) => r.bargeInEndedAtMs !== null)) return;
    if (performance.now() > deadline) return;
    await sleep(200);
  }
}

/** Matches each caller's report with its call record. `callStartedAtMs`: epoch ms by call id. */
export function analyseBargeIns(
  reports: readonly ConversationReport[],
  fromOf: (index: number) => string,
  records: readonly CallRecord[],
  callStartedAtMs: ReadonlyMap<string, number>,
): { calls: BargeInCallResult[]; summary: BargeInSummary } {
  const calls = reports.map((report): BargeInCallResult => {
    const from = fromOf(report.index);
    const record = records.find((r) => r.identity.from === from);
    const origin = record ? callStartedAtMs.get(record.callId) : undefined;
    const { bargeInStartedAtMs: toneStart, bargeInEndedAtMs: toneEnd } = report;
    const none = { from, speechStartedAtMs: null, agentPacketsAfter: 0, lastAgentPacketMs: null, detectedAfterMs: null };
    if (record === undefined || origin === undefined || toneStart === null || toneEnd === null) return none;
    // The barge-in the tone caused (the question itself was no barge-in: the agent was silent).
    const bargeIn = record.bargeIns.map((b) => origin + b.atMs).find((at) => at >= toneStart - 1 && at <= toneEnd);
    if (bargeIn === undefined) return none;
    const heard = report.agentPacketsAtMs.filter((at) => at <= toneEnd);
    return {
      from,
      speechStartedAtMs: bargeIn,
      agentPacketsAfter: heard.filter((at) => at > bargeIn).length,
      lastAgentPacketMs: heard.length > 0 ? heard[heard.length - 1]! - bargeIn : null,
      detectedAfterMs: bargeIn - toneStart,
    };
  });
  const measured = calls.filter((c) => c.speechStartedAtMs !== null);
  const after = measured.map((c) => c.agentPacketsAfter);
  const last = measured.flatMap((c) => (c.lastAgentPacketMs === null ? [] : [c.lastAgentPacketMs]));
  return {
    calls,
    summary: {
      calls: reports.length,
      measured: measured.length,
      missed: calls.filter((c) => c.speechStartedAtMs === null).map((c) => c.from),
      agentPacketsAfterSpeechStartedTotal: after.reduce((sum, n) => sum + n, 0),
      agentPacketsAfterSpeechStartedP50: quantile(after, 0.5),
      agentPacketsAfterSpeechStartedP99: quantile(after, 0.99),
      agentPacketsAfterSpeechStartedMax: quantile(after, 1),
      callsWithAgentPacketsAfter: after.filter((n) => n > 0).length,
      lastAgentPacketAfterSpeechStartedP50Ms: quantile(last, 0.5),
      lastAgentPacketAfterSpeechStartedP99Ms: quantile(last, 0.99),
      lastAgentPacketAfterSpeechStartedMaxMs: quantile(last, 1),
      speechStartedAfterCallerSpokeP50Ms: quantile(
        measured.flatMap((c) => (c.detectedAfterMs === null ? [] : [c.detectedAfterMs])),
        0.5,
      ),
    },
  };
}
