import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AiConnectError } from '../../src/call/ai-session.js';
import { authFailure, FakeAiConnector } from '../support/fake-ai.js';
import { buildCall, callerFrame, testProfile } from '../support/call-harness.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('a call', () => {
  it('asks the model for the greeting once the session is ready and paces its audio at 20 ms', async () => {
    const { call, leg, ai } = buildCall();
    await call.start();
    expect(call.state).toBe('active');
    expect(ai.last.sent).toContainEqual({ type: 'greet', instructions: 'Greet the caller.' });

    ai.last.speak('resp_1', 1000); // generated far faster than real time
    // Only the lead (60 ms = 3 frames) leaves at once; the rest follows the clock.
    expect(leg.frames).toBe(3);
    vi.advanceTimersByTime(500);
    expect(leg.frames).toBeGreaterThanOrEqual(27);
    expect(leg.frames).toBeLessThanOrEqual(29);
    vi.advanceTimersByTime(1000);
    expect(leg.frames).toBe(50);
  });

  it('sends caller audio to the model at 16 kHz only once the session is ready', async () => {
    const { call, ai, records } = buildCall();
    call.onMedia({ type: 'audio', pcm: callerFrame() });
    await call.start();
    call.onMedia({ type: 'audio', pcm: callerFrame() });
    expect(ai.last.sent.filter((s) => s.type === 'append')).toEqual([{ type: 'append', samples: 320 }]);
    await call.close('caller_hangup');
    expect(records[0]!.stats.uplinkFramesDropped).toBe(1);
    expect(records[0]!.stats.uplinkFrames).toBe(2);
  });

  it('on barge-in clears the far end first, sends no more agent frames, cancels and drops late audio', async () => {
    const { call, leg, ai, records } = buildCall();
    await call.start();
    ai.last.speak('resp_1', 3000, { done: false });
    vi.advanceTimersByTime(300);
    const framesBefore = leg.frames;
    const actionsBefore = leg.actions.length;

    ai.last.emit({ type: 'speech_started', itemId: 'item_u1', audioStartMs: 1200 });
    expect(leg.actions[actionsBefore]).toMatchObject({ type: 'clear' });
    expect(ai.last.sent.at(-1)).toEqual({ type: 'cancel' });

    // Late deltas of the cut response arrive before the server stops it: none may play.
    ai.last.emit({ type: 'audio', responseId: 'resp_1', itemId: 'item_resp_1', pcm: new Int16Array(2400) });
    ai.last.emit({ type: 'response_done', responseId: 'resp_1', status: 'incomplete' });
    vi.advanceTimersByTime(2000);
    expect(leg.frames).toBe(framesBefore);

    await call.close('caller_hangup');
    const record = records[0]!;
    expect(record.bargeIns).toHaveLength(1);
    // Heard = play time passed: 300 ms, not the 360 ms already sent (lead) nor the 3 s generated.
    expect(record.bargeIns[0]!.heardMs).toBe(300);
    expect(record.stats.lateAudioDropped).toBe(1);
    const agentTurn = record.turns.find((t) => t.role === 'agent');
    expect(agentTurn).toMatchObject({ role: 'agent', interrupted: { heardMs: 300, heardText: 'w0 w1 w2 ' } });
  });

  it('does not treat caller speech as a barge-in when the agent is silent', async () => {
    const { call, leg, ai, records } = buildCall();
    await call.start();
    ai.last.emit({ type: 'speech_started', itemId: 'item_u1', audioStartMs: 100 });
    expect(leg.actions.filter((a) => a.type === 'clear')).toHaveLength(0);
    expect(ai.last.sent.some((s) => s.type === 'cancel')).toBe(false);
    await call.close('caller_hangup');
    expect(records[0]!.bargeIns).toHaveLength(0);
  });

  it('ends once, with the first reason, releasing the model socket and the leg', async () => {
    const { call, leg, ai, records } = buildCall();
    await call.start();
    call.onMedia({ type: 'hangup', detail: 'stop message' });
    call.onMedia({ type: 'hangup', detail: 'socket closed' });
    await call.close('admin_hangup');
    expect(records).toHaveLength(1);
    expect(records[0]!.endReason).toBe('caller_hangup');
    expect(ai.last.closed).toBe(true);
    expect(leg.closedWith).toBe('caller_hangup');
    expect(call.state).toBe('ended');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('ends once as media_failed when its own media path fails, whatever the leg reports after', async () => {
    const { call, leg, ai, records } = buildCall();
    await call.start();
    call.onMedia({ type: 'media_failed', detail: 'RTP thread exited (code 1)' });
    call.onMedia({ type: 'hangup', detail: 'caller sent BYE' });
    await call.close('caller_hangup');
    expect(records).toHaveLength(1);
    expect(records[0]!.endReason).toBe('media_failed');
    expect(records[0]!.endDetail).toBe('RTP thread exited (code 1)');
    expect(ai.last.closed).toBe(true);
    expect(leg.closedWith).toBe('media_failed');
    expect(leg.closeCount).toBe(1);
  });

  it('ends with ai_connect_failed when the model rejects the key, and closes the leg', async () => {
    const ai = new FakeAiConnector();
    ai.fail = authFailure();
    const { call, leg, records } = buildCall({ ai });
    await call.start();
    expect(records[0]!.endReason).toBe('ai_connect_failed');
    expect(records[0]!.endDetail).toContain('auth');
    expect(leg.closedWith).toBe('ai_connect_failed');
  });

  it('plays the recorded apology when the model cannot be reached, then ends the call', async () => {
    const ai = new FakeAiConnector();
    ai.fail = authFailure();
    const apology = { pcm: new Int16Array(8000 * 2).fill(2000), sampleRateHz: 8000, transcript: 'Sorry, we cannot take your call.' };
    const { call, leg, records } = buildCall({ ai, unavailableAudio: apology });
    await call.start();
    call.onMedia({ type: 'dtmf', digit: '0' }); // no agent to act on it
    await vi.advanceTimersByTimeAsync(1_000);
    expect(records).toHaveLength(0); // still apologizing
    await vi.advanceTimersByTimeAsync(1_200);
    expect(leg.frames).toBe(100); // all 2 s of it, in 20 ms frames
    expect(records[0]).toMatchObject({ endReason: 'ai_connect_failed', endDetail: expect.stringContaining('auth') as string });
    expect(records[0]!.turns).toEqual([expect.objectContaining({ role: 'agent', text: 'Sorry, we cannot take your call.' })]);
    expect(leg.closedWith).toBe('ai_connect_failed');
    expect(vi.getTimerCount()).toBe(0);
  });

  describe('when the model session drops mid-call', () => {
    const lines = {
      reconnect: { pcm: new Int16Array(8000), sampleRateHz: 8000, transcript: 'Sorry, one moment please.' },
      unavailable: { pcm: new Int16Array(16000), sampleRateHz: 8000, transcript: 'Sorry, we are having technical trouble.' },
    };

    it('plays the reconnect line, opens a new session primed with the conversation, and the agent picks up', async () => {
      const { call, ai, leg, records } = buildCall({ lines });
      await call.start();
      ai.last.speak('resp_1', 400);
      ai.last.emit({ type: 'caller_transcript', itemId: 'item_1', text: 'Where is my parcel?', final: true });
      ai.last.speak('resp_2', 3000, { done: false }); // the answer, cut by the drop
      await vi.advanceTimersByTimeAsync(500);
      const framesAtDrop = leg.frames;
      ai.last.emit({ type: 'closed', cause: 'remote_close', code: 1011, detail: 'internal error' });
      await vi.advanceTimersByTimeAsync(0);

      expect(call.state).toBe('active');
      expect(ai.sessions).toHaveLength(2);
      expect(ai.last.primer?.turns.map((t) => t.role)).toEqual(['agent', 'caller', 'agent']);
      expect(ai.last.primer?.turns[1]).toEqual({ role: 'caller', text: 'Where is my parcel?' });
      const resume = ai.last.sent.find((s) => s.type === 'create_response');
      expect(resume?.type === 'create_response' && resume.instructions).toContain('pick up where the conversation left off');
      // The reconnect line plays at once; then the new session's answer.
      await vi.advanceTimersByTimeAsync(1_000);
      expect(leg.frames - framesAtDrop).toBe(50);
      ai.last.speak('resp_3', 400);
      await vi.advanceTimersByTimeAsync(1_000);
      await call.close('caller_hangup');
      const record = records[0]!;
      expect(record.endReason).toBe('caller_hangup');
      expect(record.turns.map((t) => (t.role === 'agent' ? t.responseId : t.role))).toEqual(['resp_1', 'caller', 'resp_2', 'reconnect', 'resp_3']);
      expect(record.modelSessions.map((s) => [s.sessionId, s.end])).toEqual([
        ['sess_fake_1', 'dropped'],
        ['sess_fake_2', 'call_ended'],
      ]);
      // From the drop to the new session's first audio (the line filled it).
      expect(record.modelSessions[1]!.callerGapMs).toBe(1_000);
      expect(record.stats).toMatchObject({ reconnects: 1, failedReconnects: 0 });
    });

    it('apologises (recorded) and ends as ai_reconnect_failed when no new session can be opened', async () => {
      const { call, ai, leg, records } = buildCall({ lines, settings: { reconnectAttempts: 3, reconnectDeadlineMs: 10_000 } });
      await call.start();
      ai.last.speak('resp_1', 400);
      await vi.advanceTimersByTimeAsync(1_000);
      ai.fail = new AiConnectError('server', 'HTTP 503', 503);
      ai.last.emit({ type: 'closed', cause: 'socket_error', code: 1006, detail: 'ECONNRESET' });
      await vi.advanceTimersByTimeAsync(15_000);

      const record = records[0]!;
      expect(record.endReason).toBe('ai_reconnect_failed');
      expect(record.endDetail).toContain('HTTP 503');
      expect(record.stats.failedReconnects).toBe(3);
      expect(record.turns.filter((t) => t.role === 'agent').map((t) => t.text)).toEqual([
        'w0 w1 w2 w3 ',
        'Sorry, one moment please.',
        'Sorry, we are having technical trouble.',
      ]);
      expect(leg.closedWith).toBe('ai_reconnect_failed');
    });

    it('does not retry a key the service refuses', async () => {
      const { call, ai, records } = buildCall({ lines });
      await call.start();
      ai.fail = authFailure();
      ai.last.emit({ type: 'closed', cause: 'remote_close', code: 1011, detail: 'internal error' });
      await vi.advanceTimersByTimeAsync(10_000);
      expect(records[0]!.endReason).toBe('ai_reconnect_failed');
      expect(records[0]!.stats.failedReconnects).toBe(1);
    });
  });

  it('hangs up on media inactivity', async () => {
    const { call, records } = buildCall();
    await call.start();
    for (let i = 0; i < 100; i++) {
      call.onMedia({ type: 'audio', pcm: callerFrame() });
      vi.advanceTimersByTime(20);
    }
    expect(records).toHaveLength(0);
    vi.advanceTimersByTime(10_000);
    expect(records[0]!.endReason).toBe('media_timeout');
  });

  it('hangs up when the caller stays silent after the agent finished', async () => {
    const { call, ai, records } = buildCall({ settings: { callerSilenceMs: 5_000, mediaTimeoutMs: 60_000 } });
    await call.start();
    ai.last.speak('resp_1', 400);
    vi.advanceTimersByTime(4_000);
    expect(records).toHaveLength(0);
    vi.advanceTimersByTime(1_500);
    expect(records[0]!.endReason).toBe('caller_silence');
  });

  it('says goodbye before the max duration and hangs up after it has played', async () => {
    const profile = testProfile({ maxCallDurationMs: 60_000 });
    const { call, ai, leg, records } = buildCall({ profile, settings: { mediaTimeoutMs: 600_000, callerSilenceMs: 600_000 } });
    await call.start();
    vi.advanceTimersByTime(40_000); // wrap-up lead is 20 s
    expect(ai.last.sent.at(-1)).toEqual({ type: 'create_response', instructions: 'Say goodbye.' });
    ai.last.speak('resp_bye', 2000);
    expect(records).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(2_100);
    expect(records[0]!.endReason).toBe('max_duration');
    expect(leg.frames).toBe(100); // the whole goodbye was played before the hang-up
  });

  it('hangs up at the max duration even if the model never says goodbye', async () => {
    const profile = testProfile({ maxCallDurationMs: 60_000 });
    const { call, records } = buildCall({ profile, settings: { mediaTimeoutMs: 600_000, callerSilenceMs: 600_000 } });
    await call.start();
    vi.advanceTimersByTime(60_000);
    expect(records[0]!.endReason).toBe('max_duration');
  });

  it('lets a call outlast the model session cap: the session is rolled over at a quiet moment, unnoticed', async () => {
    const profile = testProfile({ maxCallDurationMs: 5 * 60 * 60_000, greeting: { mode: 'none' } });
    const { call, ai, leg, records } = buildCall({
      profile,
      settings: { mediaTimeoutMs: 1e9, callerSilenceMs: 1e9, sessionCapMs: 7_200_000, sessionCapMarginMs: 120_000, rolloverLeadMs: 600_000 },
    });
    await call.start();
    ai.last.emit({ type: 'caller_transcript', itemId: 'item_1', text: 'I need help with my bill.', final: true });
    ai.last.speak('resp_1', 400);
    await vi.advanceTimersByTimeAsync(6_600_000); // the roll-over window opens
    expect(ai.sessions).toHaveLength(2);
    expect(ai.last.primer?.turns).toEqual([
      { role: 'caller', text: 'I need help with my bill.' },
      { role: 'agent', text: 'w0 w1 w2 w3 ' },
    ]);
    await vi.advanceTimersByTimeAsync(1_000); // a quiet moment: the switch
    expect(ai.sessions[0]!.closed).toBe(true);
    const framesBefore = leg.frames;
    // Caller audio now goes to the new session; nothing was said to the caller about it.
    call.onMedia({ type: 'audio', pcm: callerFrame() });
    expect(ai.last.sent.some((s) => s.type === 'append')).toBe(true);
    expect(ai.last.sent.filter((s) => s.type === 'create_response')).toEqual([]);
    expect(leg.frames).toBe(framesBefore);
    await vi.advanceTimersByTimeAsync(14_000_000 - 6_601_000);
    expect(records).toEqual([]); // past two session caps
    await call.close('caller_hangup');
    expect(records[0]!.modelSessions.map((s) => [s.sessionId, s.end, s.callerGapMs])).toEqual([
      ['sess_fake_1', 'rolled_over', undefined],
      ['sess_fake_2', 'rolled_over', 0],
      ['sess_fake_3', 'call_ended', 0],
    ]);
    expect(records[0]!.stats).toMatchObject({ rollovers: 2, reconnects: 0 });
  });

  it('runs end_call: returns the result, lets the goodbye play, then hangs up as the agent', async () => {
    const runTool = vi.fn(() => Promise.resolve({ output: '{"ok":true}', then: { action: 'hangup' as const, reason: 'agent_hangup' as const } }));
    const { call, ai, leg, records } = buildCall({ runTool });
    await call.start();
    ai.last.emit({ type: 'response_started', responseId: 'resp_tool' });
    ai.last.emit({ type: 'tool_call', responseId: 'resp_tool', toolCallId: 'call_9', name: 'end_call', arguments: ' {"reason": "done"}' });
    ai.last.emit({ type: 'response_done', responseId: 'resp_tool', status: 'completed' });
    await vi.advanceTimersByTimeAsync(0);
    expect(runTool).toHaveBeenCalledWith('end_call', { reason: 'done' }, expect.objectContaining({ callId: 'call-1' }));
    expect(ai.last.sent.at(-1)).toEqual({ type: 'tool_result', toolCallId: 'call_9', output: '{"ok":true}' });

    ai.last.speak('resp_bye', 1000);
    expect(records).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1_100);
    expect(records[0]!.endReason).toBe('agent_hangup');
    expect(leg.frames).toBe(50);
    expect(records[0]!.toolCalls[0]).toMatchObject({ name: 'end_call', arguments: '{"reason": "done"}' });
  });

  it('returns a tool error to the model instead of failing the call', async () => {
    const runTool = vi.fn(() => Promise.reject(new Error('webhook timed out')));
    const { call, ai } = buildCall({ runTool });
    await call.start();
    ai.last.emit({ type: 'tool_call', responseId: 'r', toolCallId: 'call_1', name: 'lookup', arguments: '{' });
    await vi.advanceTimersByTimeAsync(0);
    const result = ai.last.sent.at(-1);
    expect(result).toMatchObject({ type: 'tool_result', toolCallId: 'call_1' });
    expect(call.state).toBe('active');
  });

  it('plays the recorded greeting when the model rejects the greeting request', async () => {
    const profile = testProfile({
      greeting: { mode: 'model', instructions: 'Greet.', fallback: { path: 'greeting.wav', transcript: 'Hello from the recording.' } },
    });
    const { call, ai, leg, records } = buildCall({ profile, greetingAudio: { pcm: new Int16Array(8000), sampleRateHz: 8000 } });
    await call.start();
    ai.last.emit({ type: 'error', code: 'invalid_request_error', message: 'nothing to respond to' });
    await vi.advanceTimersByTimeAsync(1_100);
    expect(leg.frames).toBe(50);
    await call.close('caller_hangup');
    expect(records[0]!.turns[0]).toMatchObject({ role: 'agent', text: 'Hello from the recording.' });
  });

  describe('when the greeting fails', () => {
    const withFallback = (): Parameters<typeof buildCall>[0] => ({
      profile: testProfile({
        greeting: { mode: 'model', instructions: 'Greet.', fallback: { path: 'greeting.wav', transcript: 'Hello from the recording.' } },
      }),
      greetingAudio: { pcm: new Int16Array(8000), sampleRateHz: 8000 },
    });

    it('plays the recording when the greeting response ends failed without audio', async () => {
      const { call, ai, leg } = buildCall(withFallback());
      await call.start();
      ai.last.emit({ type: 'response_started', responseId: 'resp_1' });
      ai.last.emit({ type: 'response_done', responseId: 'resp_1', status: 'failed', statusDetails: 'failed: 400' });
      await vi.advanceTimersByTimeAsync(1_000);
      expect(leg.frames).toBe(50);
    });

    it('plays the recording when the greeting response "completes" with no audio at all', async () => {
      const { call, ai, leg } = buildCall(withFallback());
      await call.start();
      ai.last.emit({ type: 'response_started', responseId: 'resp_1' });
      ai.last.emit({ type: 'response_done', responseId: 'resp_1', status: 'completed' });
      await vi.advanceTimersByTimeAsync(1_000);
      expect(leg.frames).toBe(50);
    });

    it('does not replay the greeting when the caller talked over it', async () => {
      const { call, ai, leg } = buildCall(withFallback());
      await call.start();
      ai.last.emit({ type: 'response_started', responseId: 'resp_1' });
      ai.last.emit({ type: 'speech_started', itemId: 'i1', audioStartMs: 100 });
      ai.last.emit({ type: 'response_done', responseId: 'resp_1', status: 'cancelled' });
      await vi.advanceTimersByTimeAsync(1_000);
      expect(leg.frames).toBe(0);
    });

    it('plays the recording at once when the model drops the session right after the greeting request, and carries on with a new session', async () => {
      const { call, ai, leg, records } = buildCall(withFallback());
      await call.start();
      const first = ai.last;
      first.emit({ type: 'closed', cause: 'remote_close', code: 1011, detail: 'internal error' });
      await vi.advanceTimersByTimeAsync(1_000);
      expect(leg.frames).toBe(50);
      expect(ai.sessions).toHaveLength(2);
      expect(call.state).toBe('active');
      // The new session is not asked to greet again: the caller has heard the recording.
      expect(ai.last.sent.filter((s) => s.type === 'greet')).toEqual([]);
      call.onMedia({ type: 'audio', pcm: callerFrame() });
      expect(ai.last.sent.some((s) => s.type === 'append')).toBe(true);
      // The dropped session's late events no longer count.
      first.emit({ type: 'closed', cause: 'remote_close', code: 1006, detail: 'again' });
      expect(records).toEqual([]);
    });

    it('ends the call after the recording when the new session cannot be opened either', async () => {
      const { call, ai, leg, records } = buildCall(withFallback());
      await call.start();
      ai.fail = authFailure();
      ai.last.emit({ type: 'closed', cause: 'remote_close', code: 1011, detail: 'internal error' });
      await vi.advanceTimersByTimeAsync(1_500);
      expect(leg.frames).toBe(50);
      expect(records[0]!.endReason).toBe('ai_reconnect_failed');
      expect(records[0]!.endDetail).toContain('no new session');
    });
  });

  it('ends the call when the model cannot speak with the agent voice, instead of a call of silence', async () => {
    const { call, ai, records } = buildCall();
    await call.start();
    ai.last.emit({ type: 'config_rejected', detail: "voice Cherry rejected by qwen3.5-omni-flash-realtime: Voice 'Cherry' is not supported." });
    expect(records[0]!.endReason).toBe('ai_rejected_config');
    expect(records[0]!.endDetail).toContain('Cherry');
  });

  it('sends no caller audio (music on hold) to the model while the call is held', async () => {
    const { call, ai } = buildCall();
    await call.start();
    call.onMedia({ type: 'hold', held: true });
    for (let i = 0; i < 50; i++) {
      // At real time: faster would be cut by the real-time budget, whatever the hold.
      vi.advanceTimersByTime(20);
      call.onMedia({ type: 'audio', pcm: callerFrame() });
    }
    expect(ai.last.sent.filter((s) => s.type === 'append')).toEqual([]);
    call.onMedia({ type: 'hold', held: false });
    call.onMedia({ type: 'audio', pcm: callerFrame() });
    expect(ai.last.sent.filter((s) => s.type === 'append')).toHaveLength(1);
  });

  it('keeps the preview words when the final caller transcript comes back empty', async () => {
    const { call, ai, records } = buildCall();
    await call.start();
    ai.last.emit({ type: 'caller_transcript', itemId: 'item_1', text: 'I want to check my order', final: false });
    ai.last.emit({ type: 'caller_transcript', itemId: 'item_1', text: '', final: true });
    ai.last.emit({ type: 'caller_transcript', itemId: 'item_2', text: '', final: true });
    await call.close('caller_hangup');
    expect(records[0]!.turns.filter((t) => t.role === 'caller')).toMatchObject([{ itemId: 'item_1', text: 'I want to check my order' }]);
  });

  it('writes the record after the caller\'s last transcript, which the service sends after the hang-up', async () => {
    const { call, ai, records } = buildCall();
    await call.start();
    ai.last.pendingTranscript = { resolve: () => undefined };
    const closing = call.close('caller_hangup');
    expect(records).toEqual([]);
    ai.last.emit({ type: 'caller_transcript', itemId: 'item_last', text: 'Thanks, bye.', final: true });
    ai.last.emit({ type: 'speech_started', itemId: 'x', audioStartMs: 0 }); // nothing else counts any more
    ai.last.pendingTranscript.resolve();
    await closing;
    expect(records[0]!.turns.at(-1)).toMatchObject({ role: 'caller', text: 'Thanks, bye.' });
    expect(records[0]!.endReason).toBe('caller_hangup');
  });
});
