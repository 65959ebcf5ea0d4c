/** The SIP benchmark's barge-in caller script and the analysis of what it saw. */
import { describe, expect, it } from 'vitest';
import type { CallRecord } from '../../src/call/call-record.js';
import { BargeInCaller } from '../../src/bench/barge-in-caller.js';
import { analyseBargeIns } from '../../src/bench/sip-barge-in-phase.js';
import type { ConversationReport, ReceivedPacket } from '../../src/bench/rtp-peers-protocol.js';

describe('the barge-in caller', () => {
  it('asks for 1 s, waits for the answer, talks over it after the set delay for 1.5 s, then listens', () => {
    const caller = new BargeInCaller(3, 500);
    let nowMs = 1_000_000;
    const speaks: boolean[] = [];
    const step = (): void => {
      speaks.push(caller.speaks(nowMs));
      nowMs += 20;
    };
    for (let i = 0; i < 10; i++) step();
    // Agent audio while asking is the tail of an earlier answer, not the answer to the question.
    caller.received(nowMs, 0, true);
    for (let i = 0; i < 50; i++) step();
    expect(speaks.slice(0, 50).every(Boolean)).toBe(true);
    expect(speaks.slice(50).some(Boolean)).toBe(false);
    expect(caller.report.answerStartedAtMs).toBeNull();
    caller.received(nowMs, 160, false);
    const answerAt = nowMs + 5;
    caller.received(answerAt, 320, true);
    expect(caller.report.answerStartedAtMs).toBe(answerAt);
    speaks.length = 0;
    for (let i = 0; i < 150; i++) step();
    const first = speaks.indexOf(true);
    expect(caller.report.bargeInStartedAtMs).toBeGreaterThanOrEqual(answerAt + 500);
    expect(speaks.filter(Boolean)).toHaveLength(75);
    expect(speaks.slice(first, first + 75).every(Boolean)).toBe(true);
    expect(caller.report.bargeInEndedAtMs! - caller.report.bargeInStartedAtMs!).toBe(74 * 20);
    expect(caller.report.packets.map(([, timestamp]) => timestamp)).toEqual([0, 160, 320]);
  });
});

describe('barge-in analysis', () => {
  const record = (from: string, bargeIns: number): CallRecord =>
    ({
      identity: { from },
      bargeIns: Array.from({ length: bargeIns }, () => ({ atMs: 0, responseId: 'r', heardMs: 0, droppedFrames: 0 })),
    }) as unknown as CallRecord;
  /** A stream whose packet k is due at 10_000 + 20k (RTP timestamp 160k) and arrives `delays[k]` later; agent audio from packet 2 to `lastAgent`. */
  const stream = (delays: number[], lastAgent: number): ReceivedPacket[] =>
    delays.map((delay, k) => [10_000 + 20 * k + delay, 160 * k, k >= 2 && k <= lastAgent]);
  const report = (index: number, packets: ReceivedPacket[]): ConversationReport => ({
    index,
    answerStartedAtMs: 10_040,
    bargeInStartedAtMs: 10_100,
    bargeInEndedAtMs: 12_000,
    packets,
  });

  it('counts agent packets that arrived, and that were due, after the bridge handled speech_started', () => {
    const delays = Array.from({ length: 20 }, () => 0.2);
    // Call 0: the packet due at 10_200 went out late and arrived at 10_203; speech_started was handled at 10_201.
    const late = [...delays];
    late[10] = 3;
    const { calls, summary } = analyseBargeIns(
      [report(0, stream(late, 10)), report(1, stream(delays, 11))],
      (n) => `+1${n}`,
      [record('+10', 1), record('+11', 1)],
      new Map([
        // The question's speech_started (no barge-in) comes before the tone and is not this one.
        ['+10', [9_000, 10_201]],
        ['+11', [10_215]],
      ]),
    );
    expect(calls.map((c) => [c.agentPacketsAfter, c.agentPacketsDueAfter])).toEqual([
      [1, 0],
      [1, 1],
    ]);
    expect(calls[0]!.lastAgentPacketMs).toBeCloseTo(2, 6);
    expect(calls[0]!.lastAgentPacketDueMs).toBeCloseTo(-0.8, 6);
    expect(calls[1]!.lastAgentPacketDueMs).toBeCloseTo(5.2, 6);
    expect(calls[0]!.detectedAfterMs).toBe(101);
    expect(summary).toMatchObject({
      calls: 2,
      measured: 2,
      missed: [],
      agentPacketsAfterSpeechStartedTotal: 2,
      agentPacketsDueAfterSpeechStartedTotal: 1,
      callsWithAgentPacketsDueAfter: 1,
    });
  });

  it('lists callers whose barge-in the bridge did not handle', () => {
    const packets = stream([0, 0, 0], 2);
    const { summary } = analyseBargeIns(
      [report(0, packets), report(1, packets)],
      (n) => `+1${n}`,
      [record('+10', 0), record('+11', 1)],
      new Map([['+10', [10_150]]]),
    );
    expect(summary.measured).toBe(0);
    expect(summary.missed).toEqual(['+10', '+11']);
  });
});
