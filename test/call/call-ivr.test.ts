/**
 * The IVR tools of a real agent file (collect_digits, keypad map, transfer_call) driving a call:
 * digits arrive as media dtmf events, the model's side is played by the fake session.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NUDGE } from '../../src/agent/digit-router.js';
import { agentsFolder, loadFolder } from '../support/agent-folder.js';
import { buildCall, TEST_IDENTITY } from '../support/call-harness.js';
import type { FakeAiSession } from '../support/fake-ai.js';
import { FakeLeg } from '../support/fake-leg.js';

const IVR_AGENT = `
id: ivr
numbers: ["*"]
instructions: Help the caller.
transfer:
  targets:
    human: sip:desk@pbx.example
    billing: { to: "+15550123", description: invoices }
  timeoutMs: 5000
keypad:
  "0": { action: transfer, target: human }
  "9": { action: end_call }
  "*": { action: say, instructions: Say the menu. }
tools: [end_call, transfer_call, collect_digits]
`;

function ivrCall(leg = new FakeLeg()) {
  const agent = loadFolder(agentsFolder({ 'ivr.yaml': IVR_AGENT })).resolve('+15550100')!;
  return buildCall({
    leg,
    profile: agent.profile,
    tools: agent.openTools({ callId: 'call-1', identity: TEST_IDENTITY }),
    settings: { mediaTimeoutMs: 600_000 },
  });
}

let toolCalls = 0;
function modelCalls(ai: FakeAiSession, name: string, args: Record<string, unknown>): void {
  const responseId = `resp_tool_${++toolCalls}`;
  ai.emit({ type: 'response_started', responseId });
  ai.emit({ type: 'tool_call', responseId, toolCallId: `call_${toolCalls}`, name, arguments: ` ${JSON.stringify(args)}` });
  ai.emit({ type: 'response_done', responseId, status: 'completed' });
}

const lastToolOutput = (ai: FakeAiSession): unknown => {
  const result = ai.sent.filter((s) => s.type === 'tool_result').at(-1);
  return result?.type === 'tool_result' ? JSON.parse(result.output) : undefined;
};

const press = (call: { onMedia: (e: { type: 'dtmf'; digit: string }) => void }, keys: string): void => {
  for (const digit of keys) call.onMedia({ type: 'dtmf', digit });
};

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('collect_digits with media dtmf events', () => {
  it('ends at max_digits; the keypad map is off while collecting (0 is a digit, not the operator)', async () => {
    const leg = new FakeLeg().canTransfer({ ok: true });
    const { call, ai } = ivrCall(leg);
    await call.start();
    modelCalls(ai.last, 'collect_digits', { purpose: 'account number', max_digits: 4, terminator: '#', timeout_ms: 5000 });
    await vi.advanceTimersByTimeAsync(0);
    expect(ai.last.sent.some((s) => s.type === 'tool_result')).toBe(false); // waiting for the caller
    press(call, '1023');
    await vi.advanceTimersByTimeAsync(0);
    expect(lastToolOutput(ai.last)).toEqual({ digits: '1023', ended_by: 'max_digits' });
    expect(leg.transfers).toHaveLength(0);
    await call.close('caller_hangup');
  });

  it('ends at the terminator, which is not part of the digits', async () => {
    const { call, ai } = ivrCall();
    await call.start();
    modelCalls(ai.last, 'collect_digits', { purpose: 'PIN', max_digits: 8, terminator: '#' });
    await vi.advanceTimersByTimeAsync(0);
    press(call, '56#');
    await vi.advanceTimersByTimeAsync(0);
    expect(lastToolOutput(ai.last)).toEqual({ digits: '56', ended_by: 'terminator' });
    await call.close('caller_hangup');
  });

  it('ends after timeout_ms without a key press, each digit restarting the wait', async () => {
    const { call, ai, records } = ivrCall();
    await call.start();
    modelCalls(ai.last, 'collect_digits', { purpose: 'account number', max_digits: 8, timeout_ms: 5000 });
    await vi.advanceTimersByTimeAsync(4_000);
    press(call, '7');
    await vi.advanceTimersByTimeAsync(4_000); // 8 s since the tool call, 4 s since the digit
    expect(ai.last.sent.some((s) => s.type === 'tool_result')).toBe(false);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(lastToolOutput(ai.last)).toEqual({ digits: '7', ended_by: 'timeout' });
    await call.close('caller_hangup');
    // The record keeps how many digits, not which: they are often account numbers.
    expect(records[0]!.toolCalls[0]).toMatchObject({ name: 'collect_digits', output: '{"digits":"x","ended_by":"timeout"}' });
  });

  it('counts digits typed before the tool call, and nudges the model to call it', async () => {
    const { call, ai } = ivrCall();
    await call.start();
    ai.last.speak('resp_ask', 2000, { done: false }); // "Please type your account number, then #"
    await vi.advanceTimersByTimeAsync(500);
    press(call, '4'); // the caller starts typing over the prompt
    expect(ai.last.sent.filter((s) => s.type === 'cancel')).toHaveLength(1);
    expect(ai.last.sent.at(-1)).toEqual({ type: 'create_response', instructions: NUDGE });
    press(call, '02#'); // "0" inside a number being typed is not the operator key
    ai.last.emit({ type: 'response_done', responseId: 'resp_ask', status: 'incomplete' });
    modelCalls(ai.last, 'collect_digits', { purpose: 'account number', max_digits: 8, terminator: '#' });
    await vi.advanceTimersByTimeAsync(0);
    expect(lastToolOutput(ai.last)).toEqual({ digits: '402', ended_by: 'terminator' });
    await call.close('caller_hangup');
  });

  it('stops collecting when the call ends, leaving no timer behind', async () => {
    const { call, ai, records } = ivrCall();
    await call.start();
    modelCalls(ai.last, 'collect_digits', { purpose: 'account number', timeout_ms: 30000 });
    await vi.advanceTimersByTimeAsync(0);
    await call.close('caller_hangup');
    await vi.advanceTimersByTimeAsync(0);
    expect(ai.last.sent.some((s) => s.type === 'tool_result')).toBe(false);
    expect(records).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('the keypad map, without the model', () => {
  it('0 transfers to the human target at once', async () => {
    const leg = new FakeLeg().canTransfer({ ok: true });
    const { call, ai, records } = ivrCall(leg);
    await call.start();
    const sentBefore = ai.last.sent.length;
    press(call, '0');
    await vi.advanceTimersByTimeAsync(0);
    expect(leg.transfers.map((t) => t.target)).toEqual(['sip:desk@pbx.example']);
    expect(ai.last.sent.slice(sentBefore).filter((s) => s.type === 'create_response' || s.type === 'tool_result')).toEqual([]);
    expect(records[0]).toMatchObject({ endReason: 'transferred', endDetail: 'human' });
  });

  it('9 hangs up as the agent; * asks the model to say the menu', async () => {
    const { call, ai, records } = ivrCall();
    await call.start();
    press(call, '*');
    expect(ai.last.sent.at(-1)).toEqual({ type: 'create_response', instructions: 'Say the menu.' });
    press(call, '5'); // not mapped, and this agent has collect_digits: a type-ahead run starts
    expect(ai.last.sent.at(-1)).toEqual({ type: 'create_response', instructions: NUDGE });
    await vi.advanceTimersByTimeAsync(20_000); // the type-ahead run expires unused
    press(call, '9');
    await vi.advanceTimersByTimeAsync(0);
    expect(records[0]).toMatchObject({ endReason: 'agent_hangup', endDetail: 'keypad 9' });
  });
});

describe('transfer_call from the agent file', () => {
  it('transfers to the named target after the hand-off line; an unknown target is refused to the model', async () => {
    const leg = new FakeLeg().canTransfer({ ok: true });
    const { call, ai, records } = ivrCall(leg);
    await call.start();
    modelCalls(ai.last, 'transfer_call', { target: 'accounts', reason: 'refund' });
    await vi.advanceTimersByTimeAsync(0);
    expect(lastToolOutput(ai.last)).toEqual({ error: 'unknown transfer target "accounts"', targets: ['human', 'billing'] });
    modelCalls(ai.last, 'transfer_call', { target: 'billing', reason: 'refund' });
    await vi.advanceTimersByTimeAsync(0);
    expect(lastToolOutput(ai.last)).toMatchObject({ ok: true });
    ai.last.speak('resp_handoff', 600);
    expect(leg.transfers).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(700);
    expect(leg.transfers.map((t) => t.target)).toEqual(['+15550123']);
    expect(records[0]!.endReason).toBe('transferred');
  });
});
