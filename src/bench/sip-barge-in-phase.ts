/**
 * The SIP benchmark's barge-in measurement, on some of the calls already up: each caller (the
 * RTP peers child, see barge-in-caller.ts) asks a question, lets the agent's answer play for
 * half a second and talks over it. The model's speech_started reaches the bridge, which stops the
 * agent. How well it stopped is read on the wire, against the moment the bridge handled that
 * speech_started (timed in the call's event handler, see sip-bridge.ts):
 *
 * - agent-audio packets that *arrived* after it (frames already on the wire count here), and when
 *   the last one arrived relative to it;
 * - agent-audio packets that were *due* after it: a packet's due time is its send-clock slot (from
 *   its RTP timestamp) placed on the stream's best-case arrival line, so the receiver's own delays
 *   drop out. A packet due after speech_started was handled was sent by a slot that began after
 *   the barge-in: the clear did not reach the RTP thread in time for it.
 *
 * Arrival and handling times are epoch milliseconds (timeOrigin + now) in two processes on one
 * machine, comparable to well under a millisecond.
 */
import type { CallRecord } from '../call/call-record.js';
import { quantile } from './percentile.js';
import type { RtpPeersChild } from './rtp-peers-child.js';
import type { ConversationReport, ReceivedPacket } from './rtp-peers-protocol.js';
import { sleep } from './sip-calls.js';

/** Agent audio for this long before the caller talks over it. */
const BARGE_IN_AFTER_AGENT_MS = 500;
const PHASE_TIMEOUT_MS = 20_000;

export interface BargeInCallResult {
  from: string;
  /** The bridge handled the speech_started of the caller's barge-in: epoch ms; null when it did not happen. */
  speechStartedAtMs: number | null;
  /** Agent-audio packets that arrived after that and before the caller stopped talking. */
  agentPacketsAfter: number;
  /** Of those, the ones whose send slot was due after it. */
  agentPacketsDueAfter: number;
  /** The last agent-audio packet before the caller stopped talking, relative to speech_started: arrival and due time. */
  lastAgentPacketMs: number | null;
  lastAgentPacketDueMs: number | null;
  /** The caller's tone began → the bridge handled speech_started (model VAD and append batching included). */
  detectedAfterMs: number | null;
}

export interface BargeInSummary {
  calls: number;
  /** Calls whose barge-in the bridge handled (speech_started during the tone, and a barge-in in the record). */
  measured: number;
  missed: string[];
  agentPacketsAfterSpeechStartedTotal: number;
  agentPacketsAfterSpeechStartedP50: number;
  agentPacketsAfterSpeechStartedP99: number;
  agentPacketsAfterSpeechStartedMax: number;
  callsWithAgentPacketsAfter: number;
  agentPacketsDueAfterSpeechStartedTotal: number;
  callsWithAgentPacketsDueAfter: number;
  lastAgentPacketAfterSpeechStartedP50Ms: number;
  lastAgentPacketAfterSpeechStartedP99Ms: number;
  lastAgentPacketAfterSpeechStartedMaxMs: number;
  lastAgentPacketDueAfterSpeechStartedMaxMs: number;
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

const SLOT_MS = 20;
const SAMPLES_PER_SLOT = 160;

/** Each packet's due time: its slot (from the RTP timestamp) on the stream's best-case arrival line. */
function dueTimes(packets: readonly ReceivedPacket[]): number[] {
  const first = packets[0];
  if (first === undefined) return [];
  const slots = packets.map(([, timestamp]) => ((timestamp - first[1]) >>> 0) / SAMPLES_PER_SLOT);
  const origin = Math.min(...packets.map(([atMs], i) => atMs - slots[i]! * SLOT_MS));
  return slots.map((slot) => origin + slot * SLOT_MS);
}

/** Matches each caller's report with when its call handled speech_started, and its call record. */
export function analyseBargeIns(
  reports: readonly ConversationReport[],
  fromOf: (index: number) => string,
  records: readonly CallRecord[],
  speechStartedAtMs: ReadonlyMap<string, readonly number[]>,
): { calls: BargeInCallResult[]; summary: BargeInSummary } {
  const calls = reports.map((report): BargeInCallResult => {
    const from = fromOf(report.index);
    const none: BargeInCallResult = {
      from,
      speechStartedAtMs: null,
      agentPacketsAfter: 0,
      agentPacketsDueAfter: 0,
      lastAgentPacketMs: null,
      lastAgentPacketDueMs: null,
      detectedAfterMs: null,
    };
    const { bargeInStartedAtMs: toneStart, bargeInEndedAtMs: toneEnd } = report;
    if (toneStart === null || toneEnd === null) return none;
    // The speech_started the tone caused (the question's came while the agent was silent: no barge-in).
    const handled = speechStartedAtMs.get(from)?.find((at) => at >= toneStart && at <= toneEnd);
    const recorded = (records.find((r) => r.identity.from === from)?.bargeIns.length ?? 0) > 0;
    if (handled === undefined || !recorded) return none;
    const due = dueTimes(report.packets);
    // Agent audio before the caller stopped talking: the model cannot answer the barge-in sooner.
    const heard = report.packets.flatMap(([atMs, , agent], i) => (agent && atMs <= toneEnd ? [{ atMs, dueMs: due[i]! }] : []));
    const last = heard.at(-1);
    return {
      from,
      speechStartedAtMs: handled,
      agentPacketsAfter: heard.filter((p) => p.atMs > handled).length,
      agentPacketsDueAfter: heard.filter((p) => p.dueMs > handled).length,
      lastAgentPacketMs: last ? last.atMs - handled : null,
      lastAgentPacketDueMs: last ? last.dueMs - handled : null,
      detectedAfterMs: handled - toneStart,
    };
  });
  const measured = calls.filter((c) => c.speechStartedAtMs !== null);
  const after = measured.map((c) => c.agentPacketsAfter);
  const last = measured.flatMap((c) => (c.lastAgentPacketMs === null ? [] : [c.lastAgentPacketMs]));
  const lastDue = measured.flatMap((c) => (c.lastAgentPacketDueMs === null ? [] : [c.lastAgentPacketDueMs]));
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
      agentPacketsDueAfterSpeechStartedTotal: measured.reduce((sum, c) => sum + c.agentPacketsDueAfter, 0),
      callsWithAgentPacketsDueAfter: measured.filter((c) => c.agentPacketsDueAfter > 0).length,
      lastAgentPacketAfterSpeechStartedP50Ms: quantile(last, 0.5),
      lastAgentPacketAfterSpeechStartedP99Ms: quantile(last, 0.99),
      lastAgentPacketAfterSpeechStartedMaxMs: quantile(last, 1),
      lastAgentPacketDueAfterSpeechStartedMaxMs: quantile(lastDue, 1),
      speechStartedAfterCallerSpokeP50Ms: quantile(
        measured.flatMap((c) => (c.detectedAfterMs === null ? [] : [c.detectedAfterMs])),
        0.5,
      ),
    },
  };
}
