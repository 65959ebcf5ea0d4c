/**
 * Call continuity through the whole bridge on 127.0.0.1: a model session that drops mid-sentence
 * is replaced under the call, a call outlives the model's session cap by rolling over at quiet
 * moments, and when no new session can be had the caller hears an apology, not silence.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { say, silence, waitForAgentAudio, waitForAgentSilence } from '../../src/sim/caller/index.js';
import { startBridge, type Bridge } from '../support/bridge-harness.js';

let bridge: Bridge | undefined;
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
});

const ONE_MOMENT = 'Sorry, one moment please.';

describe('call continuity', () => {
  it('a session dropped mid-sentence: the caller hears the reconnect line, then the agent again, from a session that knows the conversation', async ({
    annotate,
  }) => {
    bridge = await startBridge({
      // The second response (the answer to the caller) drops after 3 audio deltas; later sessions are fine.
      sim: {
        faults: {
          session: (n) =>
            n === 1 ? { disconnect: { at: { afterAudioDeltas: 3, ofResponse: 2 }, mode: 'close', closeCode: 1011 } } : undefined,
        },
      },
    });
    const caller = await bridge.caller();
    const report = await caller.run([
      waitForAgentAudio(),
      waitForAgentSilence(300),
      say('order-status'),
      waitForAgentAudio(),
      silence(6_000),
    ]);
    const record = await bridge.ended(1);

    expect(record.endReason).toBe('caller_hangup');
    expect(record.modelSessions.map((s) => s.end)).toEqual(['dropped', 'call_ended']);
    expect(record.modelSessions[0]!.detail).toContain('1011');
    expect(record.stats).toMatchObject({ reconnects: 1, failedReconnects: 0 });
    // The caller heard: the greeting, the start of the answer, the reconnect line, then the agent again.
    const agentTurns = record.turns.filter((t) => t.role === 'agent');
    const lineAt = agentTurns.findIndex((t) => t.text === ONE_MOMENT);
    expect(lineAt).toBeGreaterThan(0);
    expect(agentTurns.length).toBeGreaterThan(lineAt + 1);
    expect(report.agentAudio.heardMs).toBeGreaterThan(3_000);
    // The new session was given what had been said.
    const second = bridge.sim.sessions[1]!;
    expect(second.config.instructions).toContain("Caller: Hi, I'm calling about my order. Can you tell me where it is?");
    expect(second.config.instructions).toContain('Do not greet the caller again');
    const gapMs = record.modelSessions[1]!.callerGapMs!;
    expect(gapMs).toBeLessThan(bridge.config.calls.reconnectDeadlineMs);
    await annotate(`reconnect: the new session's first audio came ${gapMs} ms after the drop (the reconnect line filled it)`);
  });

  it('a call outlives two session caps: roll-overs at quiet moments, no reconnect line, three sessions in one record', async () => {
    bridge = await startBridge({
      sim: { sessionCapMs: 5_000 },
      configure: (config) => {
        config.qwen.sessionCapMs = 5_000;
        // The next session is prepared 3.5 s into each (1.5 s before the cap) and switched to
        // at the first quiet moment; a switch is forced 0.5 s before the cap.
        config.calls.rolloverLeadMs = 1_500;
        config.calls.sessionCapMarginMs = 500;
      },
    });
    const caller = await bridge.caller({ maxCallMs: 30_000 });
    // About 9.5 s: switches near 3.5 s and 7 s (the third would come after the hang-up).
    await caller.run([waitForAgentAudio(), waitForAgentSilence(300), silence(6_500)]);
    const record = await bridge.ended(1);

    expect(record.endReason).toBe('caller_hangup');
    expect(record.modelSessions.map((s) => [s.end, s.callerGapMs])).toEqual([
      ['rolled_over', undefined],
      ['rolled_over', 0],
      ['call_ended', 0],
    ]);
    expect(record.stats).toMatchObject({ rollovers: 2, reconnects: 0 });
    expect(record.turns.some((t) => t.role === 'agent' && t.text === ONE_MOMENT)).toBe(false);
    // No session reached the service's cap: each was closed by us before it.
    expect(bridge.sim.sessions.slice(0, 2).map((s) => s.ended?.cause)).toEqual(['client_closed', 'client_closed']);
  });

  it('reconnect refused every time: the caller hears an apology, then the call ends as ai_reconnect_failed', async () => {
    bridge = await startBridge({
      sim: {
        faults: {
          handshake: { status: 503, fromAttempt: 2 },
          session: (n) =>
            n === 1 ? { disconnect: { at: { afterAudioDeltas: 5, ofResponse: 1 }, mode: 'close', closeCode: 1011 } } : undefined,
        },
      },
      configure: (config) => {
        config.calls.reconnectAttempts = 2;
        config.calls.reconnectDeadlineMs = 3_000;
      },
    });
    const caller = await bridge.caller();
    const report = await caller.run([waitForAgentAudio(), silence(15_000)]);
    const record = await bridge.ended(1);

    expect(record.endReason).toBe('ai_reconnect_failed');
    expect(report.closeReason).toBe('ai_reconnect_failed');
    // The bridge-wide apology (calls.unavailable): the agent names no line of its own.
    expect(record.turns.filter((t) => t.role === 'agent').at(-1)?.text).toMatch(/^We're sorry, we can't take your call right now/);
    expect(record.stats.failedReconnects).toBe(2);
    // The apology (6.4 s) was heard before the hang-up.
    expect(report.agentAudio.heardMs).toBeGreaterThan(6_400);
  });
});
