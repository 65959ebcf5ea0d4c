/** The SIP benchmark's barge-in caller script and the analysis of what it saw. */
import { describe, expect, it } from 'vitest';
import type { CallRecord } from '../../src/call/call-record.js';
import { BargeInCaller } from '../../src/bench/barge-in-caller.js';
import { analyseBargeIns } from '../../src/bench/sip-barge-in-phase.js';
import type { ConversationReport } from '../../src/bench/rtp-peers-protocol.js';

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
    // Agent packets during the question are the greeting's tail, not the answer.
    caller.agentPacket(nowMs);
    for (let i = 0; i < 50; i++) step();
    expect(speaks.slice(0, 50).every(Boolean)).toBe(true);
    expect(speaks.slice(50).some(Boolean)).toBe(false);
    expect(caller.report.answerStartedAtMs).toBeNull();
    const answerAt = nowMs + 5;
    caller.agentPacket(answerAt);
    expect(caller.report.answerStartedAtMs).toBe(answerAt);
    speaks.length = 0;
    for (let i = 0; i < 150; i++) step();
    const first = speaks.indexOf(true);
    expect(caller.report.bargeInStartedAtMs).toBeGreaterThanOrEqual(answerAt + 500);
    expect(speaks.filter(Boolean)).toHaveLength(75);
    expect(speaks.slice(first, first + 75).every(Boolean)).toBe(true);
    expect(caller.report.bargeInEndedAtMs! - caller.report.bargeInStartedAtMs!).toBe(74 * 20);
    expect(caller.report.agentPacketsAtMs).toEqual([answerAt]);
  });
});

describe('barge-in analysis', () => {
  const record = (from: string, callId: string, bargeInAtMs: number[]): CallRecord =>
    ({
      callId,
      identity: { from },
      bargeIns: bargeInAtMs.map((atMs) => ({ atMs, responseId: 'r', heardMs: 0, droppedFrames: 0 })),
    }) as unknown as CallRecord;
  const report = (index: number, agentPacketsAtMs: number[]): ConversationReport => ({
    index,
    answerStartedAtMs: 10_000,
    bargeInStartedAtMs: 10_500,
    bargeInEndedAtMs: 12_000,
    agentPacketsAtMs,
  });

  it('counts agent packets that arrived after the bridge handled speech_started and before the caller stopped talking', () => {
    const starts = new Map([
      ['c1', 9_000],
      ['c2', 9_000],
    ]);
    const { calls, summary } = analyseBargeIns(
      [report(0, [10_000, 10_020, 10_580, 10_600, 10_601.5, 12_500]), report(1, [10_000, 10_590])],
      (n) => `+1${n}`,
      // Call 1's barge-in was handled at 9_000 + 1_600 = 10_600; call 2's at 10_595.
      [record('+10', 'c1', [1_600]), record('+11', 'c2', [200, 1_595])],
      starts,
    );
    expect(calls.map((c) => [c.agentPacketsAfter, c.lastAgentPacketMs])).toEqual([
      [1, 1.5],
      [0, -5],
    ]);
    expect(calls[0]!.detectedAfterMs).toBe(100);
    expect(summary).toMatchObject({
      calls: 2,
      measured: 2,
      missed: [],
      agentPacketsAfterSpeechStartedTotal: 1,
      callsWithAgentPacketsAfter: 1,
    });
  });

  it('lists callers whose barge-in the bridge did not record', () => {
    const { summary } = analyseBargeIns([report(0, [10_000])], (n) => `+1${n}`, [record('+10', 'c1', [])], new Map([['c1', 9_000]]));
    expect(summary.measured).toBe(0);
    expect(summary.missed).toEqual(['+10']);
  });
});
