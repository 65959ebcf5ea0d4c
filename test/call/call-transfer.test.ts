import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TransferOutcome } from '../../src/call/media-leg.js';
import type { AfterSpeaking, DigitAction, ToolOutcome } from '../../src/call/tool-runner.js';
import { buildCall } from '../support/call-harness.js';
import type { FakeAiSession } from '../support/fake-ai.js';
import { FakeLeg } from '../support/fake-leg.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const toBilling: AfterSpeaking = { action: 'transfer', target: 'billing', destination: 'sip:billing@pbx.example', timeoutMs: 5_000 };
const transferTool = (): Promise<ToolOutcome> => Promise.resolve({ output: '{"ok":true}', then: toBilling });

/** The model calls a tool (a response with no audio, §9), then the call returns the result. */
async function modelCallsTool(ai: FakeAiSession, name = 'transfer_call', args = '{"target": "billing"}'): Promise<void> {
  ai.emit({ type: 'response_started', responseId: 'resp_tool' });
  ai.emit({ type: 'tool_call', responseId: 'resp_tool', toolCallId: 'call_7', name, arguments: args });
  ai.emit({ type: 'response_done', responseId: 'resp_tool', status: 'completed' });
  await vi.advanceTimersByTimeAsync(0);
}

const instructionsSent = (ai: FakeAiSession): string[] =>
  ai.sent.flatMap((s) => ((s.type === 'create_response' || s.type === 'greet') && s.instructions !== undefined ? [s.instructions] : []));

describe('transfer_call', () => {
  it('transfers only after the hand-off line has played, then ends the call as transferred', async () => {
    const leg = new FakeLeg().canTransfer({ ok: true });
    const { call, ai, records } = buildCall({ leg, runTool: transferTool });
    await call.start();
    await modelCallsTool(ai.last);
    expect(ai.last.sent.at(-1)).toEqual({ type: 'tool_result', toolCallId: 'call_7', output: '{"ok":true}' });

    const lineStartedAt = Date.now();
    ai.last.speak('resp_handoff', 1000); // "I'm putting you through to billing now."
    await vi.advanceTimersByTimeAsync(900);
    expect(leg.transfers).toHaveLength(0); // still speaking
    await vi.advanceTimersByTimeAsync(200);
    expect(leg.transfers).toEqual([{ target: 'sip:billing@pbx.example', atMs: expect.any(Number) as number }]);
    expect(leg.transfers[0]!.atMs - lineStartedAt).toBeGreaterThanOrEqual(1000);
    expect(leg.frames).toBe(50); // the whole line was played
    expect(records[0]).toMatchObject({ endReason: 'transferred', endDetail: 'billing' });
    expect(leg.closedWith).toBe('transferred');
  });

  it('keeps the call when the REFER is answered 486 and tells the model it was busy', async () => {
    const leg = new FakeLeg().canTransfer({ ok: false, reason: 'transfer refused', status: 486 });
    const { call, ai, records } = buildCall({ leg, runTool: transferTool });
    await call.start();
    await modelCallsTool(ai.last);
    ai.last.speak('resp_handoff', 400);
    await vi.advanceTimersByTimeAsync(500);
    expect(leg.transfers).toHaveLength(1);
    expect(call.state).toBe('active');
    expect(records).toHaveLength(0);
    expect(instructionsSent(ai.last).at(-1)).toBe(
      'The transfer to billing failed (busy). Tell the caller briefly, apologize, and offer other help.',
    );
    // The call goes on: the apology plays, the caller talks again.
    ai.last.speak('resp_sorry', 600);
    await vi.advanceTimersByTimeAsync(700);
    expect(call.state).toBe('active');
    await call.close('caller_hangup');
    expect(records[0]!.endReason).toBe('caller_hangup');
  });

  it('gives up on a transfer with no outcome in time, without hanging up on a quiet caller meanwhile', async () => {
    const leg = new FakeLeg().canTransfer(new Promise<TransferOutcome>(() => undefined));
    const { call, ai, records } = buildCall({ leg, runTool: transferTool, settings: { callerSilenceMs: 3_000, mediaTimeoutMs: 60_000 } });
    await call.start();
    await modelCallsTool(ai.last);
    ai.last.speak('resp_handoff', 400);
    await vi.advanceTimersByTimeAsync(4_000); // longer than the caller-silence limit: the caller is on hold
    expect(records).toHaveLength(0);
    expect(leg.transfers).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_500); // 5 s transfer limit reached
    expect(instructionsSent(ai.last).at(-1)).toMatch(/^The transfer to billing failed \(no outcome in time\)/);
    expect(call.state).toBe('active');
    await call.close('caller_hangup');
  });

  it('waits as long as the agent allows (45 s), beyond the 30 s the SIP leg used to impose', async () => {
    const slowAnswer = (afterMs: number) => new Promise<TransferOutcome>((resolve) => setTimeout(() => resolve({ ok: true }), afterMs));
    const leg = new FakeLeg().canTransfer(slowAnswer(40_400)); // the NOTIFY 200 comes 40 s in
    const patient: AfterSpeaking = { ...toBilling, timeoutMs: 45_000 };
    const { call, ai, records } = buildCall({
      leg,
      runTool: () => Promise.resolve({ output: '{"ok":true}', then: patient }),
      settings: { mediaTimeoutMs: 120_000 }, // no caller audio in this test
    });
    await call.start();
    await modelCallsTool(ai.last);
    ai.last.speak('resp_handoff', 400);
    await vi.advanceTimersByTimeAsync(39_000);
    expect(records).toHaveLength(0);
    expect(instructionsSent(ai.last).filter((i) => i.includes('transfer'))).toEqual([]); // no "it failed" yet
    await vi.advanceTimersByTimeAsync(2_000);
    expect(records[0]).toMatchObject({ endReason: 'transferred', endDetail: 'billing' });
    expect(records[0]!.transfers).toEqual([
      { atMs: expect.any(Number) as number, target: 'billing', destination: 'sip:billing@pbx.example', outcome: 'transferred' },
    ]);
  });

  it('ends the call as transferred when the final NOTIFY 200 arrives after the time limit', async () => {
    let notify200!: (outcome: TransferOutcome) => void;
    const leg = new FakeLeg().canTransfer(new Promise<TransferOutcome>((resolve) => (notify200 = resolve)));
    const { call, ai, records } = buildCall({ leg, runTool: transferTool });
    await call.start();
    await modelCallsTool(ai.last);
    ai.last.speak('resp_handoff', 400);
    await vi.advanceTimersByTimeAsync(5_500); // 5 s limit passed: the model is told, the call goes on
    expect(instructionsSent(ai.last).at(-1)).toMatch(/^The transfer to billing failed \(no outcome in time\)/);
    expect(call.state).toBe('active');
    ai.last.speak('resp_sorry', 600);
    await vi.advanceTimersByTimeAsync(700);

    notify200({ ok: true }); // the target answered after all: the caller is with billing now
    await vi.advanceTimersByTimeAsync(0);
    expect(records[0]).toMatchObject({ endReason: 'transferred', endDetail: 'billing (after the time limit)' });
    expect(records[0]!.transfers).toEqual([
      expect.objectContaining({ target: 'billing', outcome: 'transferred', late: true }),
    ]);
    expect(leg.closedWith).toBe('transferred');
  });

  it('keeps a failed transfer’s status in the record (486 busy, 603 declined)', async () => {
    const outcomes: TransferOutcome[] = [
      { ok: false, reason: 'transfer target did not answer', status: 486 },
      { ok: false, reason: 'transfer target did not answer', status: 603 },
    ];
    const leg = new FakeLeg();
    leg.transfer = (target) => {
      leg.transfers.push({ target, atMs: Date.now() });
      return Promise.resolve(outcomes.shift()!);
    };
    const { call, ai, records } = buildCall({ leg, runTool: transferTool });
    await call.start();
    for (const n of [1, 2]) {
      await modelCallsTool(ai.last);
      ai.last.speak(`resp_handoff_${n}`, 400);
      await vi.advanceTimersByTimeAsync(500);
    }
    expect(leg.transfers).toHaveLength(2);
    await call.close('caller_hangup');
    expect(records[0]!.transfers).toEqual([
      expect.objectContaining({ outcome: 'failed', status: 486, reason: 'transfer target did not answer' }),
      expect.objectContaining({ outcome: 'failed', status: 603 }),
    ]);
  });

  it('uses the agent transfer webhook on a leg that cannot REFER (audio fork)', async () => {
    const viaWebhook = vi.fn(() => Promise.resolve<TransferOutcome>({ ok: true }));
    const { call, ai, records } = buildCall({ runTool: transferTool, transferWithoutLeg: viaWebhook });
    await call.start();
    await modelCallsTool(ai.last);
    ai.last.speak('resp_handoff', 200);
    await vi.advanceTimersByTimeAsync(300);
    expect(viaWebhook).toHaveBeenCalledWith('billing', 'sip:billing@pbx.example', expect.objectContaining({ callId: 'call-1' }));
    expect(records[0]!.endReason).toBe('transferred');
  });

  it('tells the model when the line cannot transfer at all', async () => {
    const { call, ai } = buildCall({ runTool: transferTool });
    await call.start();
    await modelCallsTool(ai.last);
    ai.last.speak('resp_handoff', 200);
    await vi.advanceTimersByTimeAsync(300);
    expect(instructionsSent(ai.last).at(-1)).toMatch(/failed \(this line cannot transfer calls\)/);
    expect(call.state).toBe('active');
    await call.close('caller_hangup');
  });

  it('waits for a hand-off line cut off by the caller to be said again before transferring', async () => {
    const leg = new FakeLeg().canTransfer({ ok: true });
    const { call, ai, records } = buildCall({ leg, runTool: transferTool });
    await call.start();
    await modelCallsTool(ai.last);
    ai.last.speak('resp_handoff', 2000, { done: false });
    await vi.advanceTimersByTimeAsync(300);
    ai.last.emit({ type: 'speech_started', itemId: 'item_u', audioStartMs: 0 });
    ai.last.emit({ type: 'response_done', responseId: 'resp_handoff', status: 'incomplete' });
    await vi.advanceTimersByTimeAsync(2_000);
    expect(leg.transfers).toHaveLength(0);
    ai.last.emit({ type: 'speech_stopped', itemId: 'item_u', audioEndMs: 500 });
    ai.last.speak('resp_handoff_2', 500);
    await vi.advanceTimersByTimeAsync(600);
    expect(leg.transfers).toHaveLength(1);
    expect(records[0]!.endReason).toBe('transferred');
  });
});

describe('end_call', () => {
  it('hangs up only after the goodbye has played, and ends the call as the agent', async () => {
    const runTool = (): Promise<ToolOutcome> => Promise.resolve({ output: '{"ok":true}', then: { action: 'hangup', reason: 'agent_hangup' } });
    const { call, ai, leg, records } = buildCall({ runTool });
    await call.start();
    await modelCallsTool(ai.last, 'end_call', '{}');
    ai.last.speak('resp_bye', 1500);
    await vi.advanceTimersByTimeAsync(1_400);
    expect(records).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(200);
    expect(records[0]!.endReason).toBe('agent_hangup');
    expect(leg.frames).toBe(75);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('keypad digits in the call core', () => {
  it('hands every dtmf digit to the digit sink and carries out its action without the model', async () => {
    const seen: string[] = [];
    const leg = new FakeLeg().canTransfer({ ok: true });
    const digits = {
      onDigit: (digit: string): DigitAction | undefined => {
        seen.push(digit);
        return digit === '0' ? { then: { action: 'transfer', target: 'human', destination: 'sip:desk@pbx.example', timeoutMs: 5_000 } } : undefined;
      },
    };
    const { call, ai, records } = buildCall({ leg, digits });
    await call.start();
    call.onMedia({ type: 'dtmf', digit: '5' });
    expect(call.state).toBe('active');
    ai.last.speak('resp_1', 3000, { done: false }); // the agent is talking when 0 is pressed
    await vi.advanceTimersByTimeAsync(200);
    call.onMedia({ type: 'dtmf', digit: '0' });
    // The key press cuts the agent off like speech does, and no model turn is involved.
    expect(leg.actions.some((a) => a.type === 'clear')).toBe(true);
    expect(ai.last.sent.filter((s) => s.type === 'cancel')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(seen).toEqual(['5', '0']);
    expect(leg.transfers.map((t) => t.target)).toEqual(['sip:desk@pbx.example']);
    expect(records[0]).toMatchObject({ endReason: 'transferred', endDetail: 'human', toolCalls: [] });
  });

  it('asks the model to speak for a "say" digit, and ignores digits before the call is active', async () => {
    const digits = { onDigit: (): DigitAction => ({ say: 'List the menu.', then: { action: 'none' } }) };
    const { call, ai } = buildCall({ digits });
    call.onMedia({ type: 'dtmf', digit: '*' }); // still starting: nothing to act with
    await call.start();
    expect(instructionsSent(ai.last)).toEqual(['Greet the caller.']);
    call.onMedia({ type: 'dtmf', digit: '*' });
    expect(instructionsSent(ai.last)).toEqual(['Greet the caller.', 'List the menu.']);
    await call.close('caller_hangup');
  });
});
