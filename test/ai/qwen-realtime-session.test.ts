import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GREETING_CUE } from '../../src/ai/qwen-realtime-session.js';
import { createQwenConnector } from '../../src/ai/qwen-session.js';
import { ScriptedQwenServer, type ScriptedConnection } from './support/scripted-qwen-server.js';
import {
  AiEventLog,
  ManualClock,
  base64Of,
  captureLogger,
  connectorOptions,
  openSession,
  ramp,
  samplesOf,
  testProfile,
  type OpenSession,
} from './support/qwen-harness.js';

let server: ScriptedQwenServer;

beforeEach(async () => {
  server = await ScriptedQwenServer.start();
});

afterEach(async () => {
  await server.close();
});

/**
 * Everything the client sent before this point has reached the server once the returned promise
 * resolves: a socket delivers in order, so an append sent last is a barrier.
 */
async function barrier({ session, conn }: OpenSession): Promise<void> {
  const appendsSoFar = conn.ofType('input_audio_buffer.append').length;
  session.appendAudio(ramp(160));
  session.flushAudio();
  await conn.waitFor('input_audio_buffer.append', appendsSoFar + 1);
}

function clientEventTypes(conn: ScriptedConnection): string[] {
  return conn.received.map((event) => event.type).filter((type) => type !== 'input_audio_buffer.append');
}

function responseCreated(conn: ScriptedConnection, responseId: string): void {
  conn.send({ type: 'response.created', response: { id: responseId, object: 'realtime.response', status: 'in_progress', output: [] } });
}

function responseDone(conn: ScriptedConnection, responseId: string, status = 'completed'): void {
  conn.send({ type: 'response.done', response: { id: responseId, status, output: [] } });
}

/** What the session sends as per-response instructions: the agent's persona, then the one-off line. */
function withPersona(line: string): { instructions: string } {
  return { instructions: `${testProfile().instructions}\n\nFor this reply only: ${line}` };
}

function audioDelta(conn: ScriptedConnection, responseId: string, samples: number[]): void {
  conn.send({ type: 'response.audio.delta', response_id: responseId, item_id: 'item_a', output_index: 0, content_index: 0, delta: base64Of(samples) });
}

describe('QwenRealtimeSession: caller audio', () => {
  it('batches 100 ms of 20 ms frames into one append of 3,200 bytes, samples in order', async () => {
    const open = await openSession(server);
    for (let frame = 0; frame < 5; frame += 1) open.session.appendAudio(ramp(320, frame * 320));

    const append = await open.conn.waitFor('input_audio_buffer.append');

    expect(Buffer.from(append.audio as string, 'base64').length).toBe(3_200);
    expect(samplesOf(append.audio as string)).toEqual([...ramp(1_600)]);
    expect(open.session.stats.sentAppends).toBe(1);
    open.session.close();
  });

  it('holds a partial batch until flushAudio, then sends exactly what it holds', async () => {
    const open = await openSession(server, { appendBatchMs: 40 });
    open.session.appendAudio(ramp(320)); // 20 ms: less than a batch
    open.session.appendAudio(ramp(480, 320)); // 30 ms: completes one 40 ms batch, 10 ms left over
    const first = await open.conn.waitFor('input_audio_buffer.append');
    open.session.flushAudio();
    const second = await open.conn.waitFor('input_audio_buffer.append', 2);

    expect(samplesOf(first.audio as string)).toEqual([...ramp(640)]);
    expect(samplesOf(second.audio as string)).toEqual([...ramp(160, 640)]);
    open.session.close();
  });

  it('drops and counts audio once the session is closed', async () => {
    const open = await openSession(server);
    open.session.appendAudio(ramp(800));
    open.session.close();
    open.session.appendAudio(ramp(320));
    open.session.flushAudio();
    await open.conn.closed;

    expect(open.conn.ofType('input_audio_buffer.append')).toEqual([]);
    expect(open.session.stats.droppedInputSamples).toBe(1_120);
  });
});

describe('QwenRealtimeSession: response sequencing', () => {
  it('never sends a second response.create while one is in flight, and sends the queued one on response.done', async () => {
    const open = await openSession(server);
    const { session, conn } = open;
    session.createResponse('Greet the caller.');
    session.createResponse('Say the opening hours.');
    await barrier(open);
    expect(conn.ofType('response.create')).toHaveLength(1);
    expect(conn.ofType('response.create')[0]!.response).toEqual(withPersona('Greet the caller.'));

    responseCreated(conn, 'resp_1');
    await barrier(open);
    expect(conn.ofType('response.create')).toHaveLength(1);

    responseDone(conn, 'resp_1');
    const second = await conn.waitFor('response.create', 2);
    expect(second.response).toEqual(withPersona('Say the opening hours.'));
    session.close();
  });

  it('sends response.create without a body when no instructions are given', async () => {
    const open = await openSession(server);
    open.session.createResponse();
    const create = await open.conn.waitFor('response.create');
    expect(Object.keys(create).sort()).toEqual(['event_id', 'type']);
    open.session.close();
  });

  it('does not let a rejected response.create block the next one', async () => {
    const open = await openSession(server);
    const { session, conn, events } = open;
    session.createResponse('Greet the caller.');
    session.createResponse('Ask how to help.');
    await conn.waitFor('response.create');
    const error = events.next('error');
    conn.send({ type: 'error', error: { type: 'invalid_request_error', code: 'invalid_value', message: 'nothing to respond to' } });

    expect(await error).toEqual({ type: 'error', code: 'invalid_value', message: 'nothing to respond to' });
    const retry = await conn.waitFor('response.create', 2);
    expect(retry.response).toEqual(withPersona('Ask how to help.'));
    session.close();
  });

  it('gives up on a response.create the server never answers, reports it, and sends the next one', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const open = await openSession(server, { responseCreatedTimeoutMs: 15_000 });
      const { session, conn, events } = open;
      session.createResponse('Say goodbye.');
      session.createResponse('Say the hours.');
      await conn.waitFor('response.create');
      const error = events.next('error');
      await vi.advanceTimersByTimeAsync(15_000);

      expect(await error).toMatchObject({ code: 'response_create_unanswered' });
      const next = await conn.waitFor('response.create', 2);
      expect(next.response).toEqual(withPersona('Say the hours.'));
      expect(session.stats.unansweredRequests).toBe(1);
      session.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('drops the late events of a response superseded by another response.created, and reports it cut', async () => {
    const open = await openSession(server);
    const { session, conn, events } = open;
    responseCreated(conn, 'resp_1');
    audioDelta(conn, 'resp_1', [1, 2]);
    responseCreated(conn, 'resp_2'); // the service split one answer without a new request
    audioDelta(conn, 'resp_1', [3, 4]);
    conn.send({ type: 'response.audio_transcript.delta', response_id: 'resp_1', item_id: 'i', delta: 'stale' });
    const next = events.next('audio', (e) => e.responseId === 'resp_2');
    audioDelta(conn, 'resp_2', [5, 6]);
    await next;

    expect(events.ofType('audio').map((e) => [e.responseId, [...e.pcm]])).toEqual([
      ['resp_1', [1, 2]],
      ['resp_2', [5, 6]],
    ]);
    expect(events.ofType('response_done')).toEqual([{ type: 'response_done', responseId: 'resp_1', status: 'cancelled', statusDetails: 'superseded' }]);
    expect(events.ofType('assistant_transcript_delta')).toEqual([]);
    session.close();
  });

  it('takes events without a response id as the response in flight', async () => {
    const open = await openSession(server);
    const { session, conn, events } = open;
    responseCreated(conn, 'resp_1');
    const audio = events.next('audio');
    conn.send({ type: 'response.audio.delta', delta: base64Of([9, 9]) });
    expect(await audio).toMatchObject({ responseId: 'resp_1' });
    const done = events.next('response_done');
    conn.send({ type: 'response.done', response: { status: 'completed' } });
    expect(await done).toMatchObject({ responseId: 'resp_1', status: 'completed' });
    session.close();
  });
});

describe('QwenRealtimeSession: greeting and one-off lines', () => {
  it('greets on qwen3.5 with a user text cue, then, once it is confirmed, one response.create carrying the persona', async () => {
    const open = await openSession(server);
    open.session.greet('Greet the caller as Acme support.');
    const cue = await open.conn.waitFor('conversation.item.create');
    expect(cue.item).toEqual({ type: 'message', role: 'user', content: [{ type: 'input_text', text: GREETING_CUE }] });
    await barrier(open);
    expect(open.conn.ofType('response.create')).toEqual([]);
    open.conn.send({ type: 'conversation.item.created', item: { id: 'item_cue', type: 'message', role: 'user' } });
    const create = await open.conn.waitFor('response.create');
    expect(create.response).toEqual(withPersona('Greet the caller as Acme support.'));
    expect(clientEventTypes(open.conn)).toEqual(['session.update', 'conversation.item.create', 'response.create']);
    open.session.close();
  });

  it('greets with response.create alone when the service refuses the text cue, without reporting a failed greeting', async () => {
    const open = await openSession(server);
    open.session.greet('Greet the caller.');
    await open.conn.waitFor('conversation.item.create');
    open.conn.send({ type: 'error', error: { code: 400, message: "Invalid value: 'message'. Supported values are: 'function_call_output'." } });
    const create = await open.conn.waitFor('response.create');
    expect(create.response).toEqual(withPersona('Greet the caller.'));
    await barrier(open);
    expect(open.events.ofType('error')).toEqual([]);
    open.session.close();
  });

  it('greets an older model with response.create alone (it takes no text items)', async () => {
    const open = await openSession(server, {}, testProfile({ model: 'qwen3-omni-flash-realtime', voice: 'Cherry' }));
    open.session.greet('Greet the caller.');
    await open.conn.waitFor('response.create');
    expect(clientEventTypes(open.conn)).toEqual(['session.update', 'response.create']);
    open.session.close();
  });
});

describe('QwenRealtimeSession: what the service kept', () => {
  it('warns when the echo shows tools dropped (qwen3-omni-flash answers tools: null)', async () => {
    const srv = await ScriptedQwenServer.start({ acceptSessionUpdate: false });
    try {
      const log = captureLogger();
      const events = new AiEventLog();
      const connect = createQwenConnector(connectorOptions(srv, log));
      const profile = testProfile({ tools: [{ name: 'end_call', description: 'End the call', parameters: { type: 'object', properties: {} } }] });
      const pending = connect(profile, events.onEvent, { callId: 'call-1' });
      const conn = await srv.connection();
      await conn.waitFor('session.update');
      conn.send({ type: 'session.updated', session: { id: 's', voice: 'Tina', tools: null, turn_detection: { type: 'server_vad' } } });
      const session = await pending;

      expect(log.withMessage('qwen did not take all of the agent configuration')).toMatchObject([
        { differences: ['tools dropped by the service: end_call'] },
      ]);
      session.close();
    } finally {
      await srv.close();
    }
  });

  it('says nothing when the echo matches', async () => {
    const open = await openSession(server);
    expect(open.log.withMessage('qwen did not take all of the agent configuration')).toEqual([]);
    open.session.close();
  });
});

describe('QwenRealtimeSession: a voice the model cannot speak', () => {
  it('turns "Voice ... is not supported" into config_rejected, once, and logs the first silent answer loudly', async () => {
    const open = await openSession(server, {}, testProfile({ voice: 'Cherry' }));
    const { session, conn, events } = open;
    const rejected = events.next('config_rejected');
    responseCreated(conn, 'resp_1');
    conn.send({ type: 'error', error: { type: 'invalid_request_error', code: 400, message: "Voice 'Cherry' is not supported.", param: null } });
    conn.send({ type: 'response.done', response: { id: 'resp_1', status: 'failed', status_details: { type: 'failed', error: { code: 400, message: 'voice' } } } });
    conn.send({ type: 'error', error: { code: 400, message: "Voice 'Cherry' is not supported." } });

    expect((await rejected).detail).toContain('Cherry');
    await barrier(open);
    expect(events.ofType('config_rejected')).toHaveLength(1);
    expect(events.ofType('error')).toHaveLength(2);
    expect(open.log.withMessage('the first qwen response of this call had no audio: check the agent voice and model')).toHaveLength(1);
    session.close();
  });
});

describe('QwenRealtimeSession: keep-alive', () => {
  it('sends one second of silence when no caller audio went out for the interval, and none while audio flows', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const clock = new ManualClock();
      const open = await openSession(server, { keepAliveIntervalMs: 15_000, nowMs: clock.nowMs });
      const { session, conn } = open;
      // Caller audio every 5 s: no keep-alive needed.
      for (let i = 0; i < 6; i++) {
        clock.advance(5_000);
        session.appendAudio(ramp(1600));
        await vi.advanceTimersByTimeAsync(5_000);
      }
      const appendsWithAudio = conn.ofType('input_audio_buffer.append').length;
      await conn.waitFor('input_audio_buffer.append', appendsWithAudio);
      expect(session.stats.keepAlivesSent).toBe(0);

      // Then a 60 s hold: nothing from the caller.
      for (let i = 0; i < 12; i++) {
        clock.advance(5_000);
        await vi.advanceTimersByTimeAsync(5_000);
      }
      expect(session.stats.keepAlivesSent).toBe(4);
      const last = await conn.waitFor('input_audio_buffer.append', appendsWithAudio + 4);
      expect(samplesOf(last.audio as string)).toHaveLength(16_000);
      expect(new Set(samplesOf(last.audio as string))).toEqual(new Set([0]));
      expect(conn.ofType('input_audio_buffer.commit')).toEqual([]);
      session.close();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('QwenRealtimeSession: cancel', () => {
  it('sends response.cancel only while a response is active', async () => {
    const open = await openSession(server);
    const { session, conn, events } = open;
    session.cancelResponse(); // idle: nothing to cancel
    await barrier(open);
    expect(conn.ofType('response.cancel')).toHaveLength(0);

    const started = events.next('response_started');
    responseCreated(conn, 'resp_1');
    await started;
    session.cancelResponse();
    session.cancelResponse(); // already cancelling
    await barrier(open);
    expect(conn.ofType('response.cancel')).toHaveLength(1);
    session.close();
  });

  it('swallows the error the server sends when the cancel raced the end of the response', async () => {
    const clock = new ManualClock();
    const open = await openSession(server, { nowMs: clock.nowMs });
    const { session, conn, events } = open;
    const started = events.next('response_started');
    responseCreated(conn, 'resp_1');
    await started;
    session.cancelResponse();
    await conn.waitFor('response.cancel');
    const done = events.next('response_done');
    responseDone(conn, 'resp_1', 'completed');
    conn.send({ type: 'error', error: { type: 'invalid_request_error', code: 'invalid_value', message: 'no active response' } });
    const stopped = events.next('speech_stopped');
    conn.send({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: 900, item_id: 'item_2' });
    await done;
    await stopped;

    expect(events.ofType('error')).toEqual([]);
    expect(session.stats.swallowedCancelErrors).toBe(1);

    // A later, unrelated error is reported.
    clock.advance(10_000);
    const error = events.next('error');
    conn.send({ type: 'error', error: { code: 'DataInspectionFailed', message: 'content moderation' } });
    expect(await error).toEqual({ type: 'error', code: 'DataInspectionFailed', message: 'content moderation' });
    session.close();
  });

  it('drops late audio of a cancelled response and passes audio of the next one', async () => {
    const open = await openSession(server);
    const { session, conn, events } = open;
    const firstAudio = events.next('audio');
    responseCreated(conn, 'resp_1');
    audioDelta(conn, 'resp_1', [1, 2, 3]);
    await firstAudio;
    session.cancelResponse();
    await conn.waitFor('response.cancel');
    audioDelta(conn, 'resp_1', [4, 5, 6]);
    audioDelta(conn, 'resp_1', [7, 8, 9]);
    responseDone(conn, 'resp_1', 'cancelled');
    responseCreated(conn, 'resp_2');
    const nextAudio = events.next('audio', (event) => event.responseId === 'resp_2');
    audioDelta(conn, 'resp_2', [10, 11]);
    await nextAudio;

    expect(events.ofType('audio').map((event) => [event.responseId, [...event.pcm]])).toEqual([
      ['resp_1', [1, 2, 3]],
      ['resp_2', [10, 11]],
    ]);
    expect(events.ofType('response_done')).toEqual([{ type: 'response_done', responseId: 'resp_1', status: 'cancelled' }]);
    expect(session.stats.droppedAudioDeltas).toBe(2);
    session.close();
  });

  it('cancels a requested response as soon as the server announces it', async () => {
    const open = await openSession(server);
    const { session, conn } = open;
    session.createResponse('Greet the caller.');
    session.cancelResponse(); // before response.created: nothing to cancel on the server yet
    await barrier(open);
    expect(conn.ofType('response.cancel')).toHaveLength(0);

    responseCreated(conn, 'resp_1');
    await conn.waitFor('response.cancel');
    expect(clientEventTypes(conn)).toEqual(['session.update', 'response.create', 'response.cancel']);
    session.close();
  });
});

describe('QwenRealtimeSession: tools', () => {
  function callDone(conn: ScriptedConnection, responseId: string, callId: string, name: string, args: string): void {
    conn.send({ type: 'response.function_call_arguments.done', response_id: responseId, item_id: `item_${callId}`, output_index: 0, call_id: callId, name, arguments: args });
  }

  it('runs a tool only after its response completed, then sends the result and one response.create', async () => {
    const open = await openSession(server);
    const { session, conn, events } = open;
    responseCreated(conn, 'resp_1');
    audioDelta(conn, 'resp_1', [1, 2, 3]); // a spoken preamble before the call
    callDone(conn, 'resp_1', 'call_1', 'transfer_call', ' {"department": "sales"}');
    await barrier(open);
    expect(events.ofType('tool_call')).toEqual([]);

    const toolCall = events.next('tool_call');
    responseDone(conn, 'resp_1');
    expect(await toolCall).toEqual({
      type: 'tool_call',
      responseId: 'resp_1',
      toolCallId: 'call_1',
      name: 'transfer_call',
      arguments: '{"department": "sales"}',
    });
    session.sendToolResult('call_1', '{"status":"transferred"}');
    await conn.waitFor('response.create');
    expect(conn.ofType('conversation.item.create')[0]!.item).toEqual({ type: 'function_call_output', call_id: 'call_1', output: '{"status":"transferred"}' });
    expect(clientEventTypes(conn)).toEqual(['session.update', 'conversation.item.create', 'response.create']);
    session.close();
  });

  it('sends the outputs of several calls of one response together, with one response.create', async () => {
    const open = await openSession(server);
    const { session, conn, events } = open;
    responseCreated(conn, 'resp_1');
    callDone(conn, 'resp_1', 'call_a', 'lookup_order', '{"id":"1"}');
    callDone(conn, 'resp_1', 'call_b', 'opening_hours', '{}');
    const bothCalls = new Promise<void>((resolve) => {
      let seen = 0;
      void events.next('tool_call').then(() => ++seen === 2 && resolve());
      void events.next('tool_call', (e) => e.toolCallId === 'call_b').then(() => ++seen === 2 && resolve());
    });
    responseDone(conn, 'resp_1');
    await bothCalls;

    session.sendToolResult('call_b', '"9 to 6"');
    await barrier(open);
    expect(conn.ofType('conversation.item.create')).toEqual([]); // held until call_a has its output too
    session.sendToolResult('call_a', '"shipped"');
    await conn.waitFor('response.create');
    expect(conn.ofType('conversation.item.create').map((e) => (e.item as { call_id: string }).call_id)).toEqual(['call_b', 'call_a']);
    expect(conn.ofType('response.create')).toHaveLength(1);
    session.close();
  });

  it('takes a call reported only by output_item.done, and the same call from several events once', async () => {
    const open = await openSession(server);
    const { session, conn, events } = open;
    responseCreated(conn, 'resp_1');
    const item = { type: 'function_call', status: 'completed', call_id: 'call_1', name: 'end_call', arguments: '{}' };
    conn.send({ type: 'response.output_item.done', response_id: 'resp_1', item });
    callDone(conn, 'resp_1', 'call_1', 'end_call', '{}');
    const done = events.next('response_done');
    conn.send({ type: 'response.done', response: { id: 'resp_1', status: 'completed', output: [item] } });
    await done;
    await barrier(open);
    expect(events.ofType('tool_call').map((e) => e.toolCallId)).toEqual(['call_1']);
    session.close();
  });

  it('never runs the calls of a response that ended cancelled or failed (a barge-in must not hang up)', async () => {
    const open = await openSession(server);
    const { session, conn, events } = open;
    responseCreated(conn, 'resp_1');
    callDone(conn, 'resp_1', 'call_1', 'end_call', '{}');
    responseDone(conn, 'resp_1', 'cancelled');
    responseCreated(conn, 'resp_2');
    callDone(conn, 'resp_2', 'call_2', 'transfer_call', '{}');
    const done = events.next('response_done', (e) => e.responseId === 'resp_2');
    responseDone(conn, 'resp_2', 'failed');
    await done;
    await barrier(open);

    expect(events.ofType('tool_call')).toEqual([]);
    expect(session.stats.droppedToolCalls).toBe(2);
    session.sendToolResult('call_1', '{}'); // a late result for a dropped call goes nowhere
    await barrier(open);
    expect(conn.ofType('conversation.item.create')).toEqual([]);
    session.close();
  });
});

describe('QwenRealtimeSession: server events', () => {
  it('maps the events the call core needs', async () => {
    const open = await openSession(server);
    const { session, conn, events } = open;
    const done = events.next('response_done');
    conn.send({ type: 'input_audio_buffer.speech_started', audio_start_ms: 3_647, item_id: 'item_u' });
    conn.send({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: 4_453, item_id: 'item_u' });
    conn.send({ type: 'input_audio_buffer.committed', item_id: 'item_u' });
    conn.send({ type: 'conversation.item.created', item: { id: 'item_u', object: 'realtime.item', type: 'message', role: 'assistant' } });
    conn.send({ type: 'conversation.item.input_audio_transcription.delta', item_id: 'item_u', content_index: 0, text: '', stash: "What's the" });
    conn.send({ type: 'conversation.item.input_audio_transcription.delta', item_id: 'item_u', content_index: 0, text: "What's the", stash: ' weather' });
    responseCreated(conn, 'resp_1');
    audioDelta(conn, 'resp_1', [-32_768, 0, 32_767]);
    conn.send({ type: 'response.audio_transcript.delta', response_id: 'resp_1', item_id: 'item_a', delta: 'Sunny' });
    conn.send({ type: 'conversation.item.input_audio_transcription.completed', item_id: 'item_u', content_index: 0, transcript: "What's the weather?" });
    conn.send({ type: 'response.audio_transcript.done', response_id: 'resp_1', item_id: 'item_a', transcript: 'Sunny today.' });
    conn.send({ type: 'response.audio.done', response_id: 'resp_1', item_id: 'item_a' });
    conn.send({
      type: 'response.done',
      response: {
        id: 'resp_1',
        status: 'completed',
        usage: {
          total_tokens: 377,
          input_tokens: 336,
          output_tokens: 41,
          input_tokens_details: { text_tokens: 228, audio_tokens: 108 },
          output_tokens_details: { text_tokens: 9, audio_tokens: 32 },
        },
      },
    });
    await done;

    expect(events.events.slice(1).map((event) => (event.type === 'audio' ? { ...event, pcm: [...event.pcm] } : event))).toEqual([
      { type: 'speech_started', itemId: 'item_u', audioStartMs: 3_647 },
      { type: 'speech_stopped', itemId: 'item_u', audioEndMs: 4_453 },
      { type: 'caller_transcript', itemId: 'item_u', text: "What's the", final: false },
      { type: 'caller_transcript', itemId: 'item_u', text: "What's the weather", final: false },
      { type: 'response_started', responseId: 'resp_1' },
      { type: 'audio', responseId: 'resp_1', itemId: 'item_a', pcm: [-32_768, 0, 32_767] },
      { type: 'assistant_transcript_delta', responseId: 'resp_1', itemId: 'item_a', text: 'Sunny' },
      { type: 'caller_transcript', itemId: 'item_u', text: "What's the weather?", final: true },
      { type: 'assistant_transcript_done', responseId: 'resp_1', itemId: 'item_a', text: 'Sunny today.' },
      {
        type: 'response_done',
        responseId: 'resp_1',
        status: 'completed',
        usage: { inputTokens: 336, outputTokens: 41, inputAudioTokens: 108, outputAudioTokens: 32 },
      },
    ]);
    session.close();
  });

  it('reports an undocumented response status as incomplete', async () => {
    const { session, conn, events } = await openSession(server);
    const done = events.next('response_done');
    responseCreated(conn, 'resp_1');
    responseDone(conn, 'resp_1', 'interrupted');
    expect(await done).toEqual({ type: 'response_done', responseId: 'resp_1', status: 'incomplete' });
    session.close();
  });

  it('ignores an unknown event type with a debug line', async () => {
    const { session, conn, events, log } = await openSession(server);
    const speech = events.next('speech_started');
    conn.send({ type: 'response.brand_new_thing', payload: { x: 1 } });
    conn.send({ type: 'input_audio_buffer.speech_started', audio_start_ms: 10, item_id: 'item_1' });
    await speech;

    expect(events.events.map((event) => event.type)).toEqual(['ready', 'speech_started']);
    expect(session.stats.unknownEvents).toBe(1);
    expect(log.withMessage('unknown qwen event ignored')).toMatchObject([{ level: 20, eventType: 'response.brand_new_thing' }]);
    session.close();
  });

  it('logs malformed frames and keeps the session', async () => {
    const { session, conn, events, log } = await openSession(server);
    const speech = events.next('speech_started');
    conn.sendRaw('{"type": "response.created", "response": ');
    conn.send({ type: 'response.created' }); // known type, body missing
    conn.sendRaw('[1, 2, 3]');
    conn.send({ type: 'input_audio_buffer.speech_started', audio_start_ms: 10, item_id: 'item_1' });
    await speech;

    expect(session.state).toBe('open');
    expect(session.stats.malformedFrames).toBe(3);
    const warnings = log.withMessage('malformed qwen event ignored');
    expect(warnings.map((entry) => [entry.level, entry.eventType])).toEqual([
      [40, undefined],
      [40, 'response.created'],
      [40, undefined],
    ]);
    expect(warnings[1]!.reason).toContain('response');
    expect(events.events.map((event) => event.type)).toEqual(['ready', 'speech_started']);
    session.close();
  });

  it('survives an event handler that throws', async () => {
    const log = captureLogger();
    const events = new AiEventLog();
    const ready = events.next('ready');
    const connect = createQwenConnector(connectorOptions(server, log));
    const session = await connect(
      testProfile(),
      (event) => {
        events.onEvent(event);
        if (event.type === 'speech_started') throw new Error('core bug');
      },
      { callId: 'call-1' },
    );
    await ready;
    const conn = await server.connection();
    const stopped = events.next('speech_stopped');
    conn.send({ type: 'input_audio_buffer.speech_started', audio_start_ms: 10, item_id: 'item_1' });
    conn.send({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: 20, item_id: 'item_1' });
    await stopped;

    expect(session.state).toBe('open');
    expect(log.withMessage('ai event handler threw')).toMatchObject([{ level: 50, eventType: 'speech_started' }]);
    session.close();
  });
});

describe('QwenRealtimeSession: how it ends', () => {
  it('reports a remote close once, then drops audio; close() afterwards is a no-op', async () => {
    const { session, conn, events } = await openSession(server);
    const closed = events.next('closed');
    conn.close(4000, 'server going away');
    expect(await closed).toEqual({ type: 'closed', cause: 'remote_close', code: 4000, detail: 'server going away' });

    session.close();
    session.close();
    session.appendAudio(ramp(1_600));
    expect(session.state).toBe('closed');
    expect(session.stats.droppedInputSamples).toBe(1_600);
    expect(events.ofType('closed')).toHaveLength(1);
  });

  it('reports a broken connection as socket_error', async () => {
    const { session, conn, events } = await openSession(server);
    const closed = events.next('closed');
    conn.sendInvalidFrame();
    const event = await closed;
    // The client fails the connection itself, so no close frame comes back: 1006.
    expect(event).toMatchObject({ type: 'closed', cause: 'socket_error', code: 1006 });
    expect(event.detail).toContain('opcode');
    expect(session.state).toBe('closed');
  });

  it('attributes a close at the session limit to the cap', async () => {
    const clock = new ManualClock();
    const { conn, events } = await openSession(server, { nowMs: clock.nowMs, sessionCapMs: 7_200_000 });
    clock.advance(7_199_000);
    const closed = events.next('closed');
    conn.close(1000);
    expect(await closed).toMatchObject({ type: 'closed', cause: 'session_cap', code: 1000 });
  });

  it('counts session age from the upgrade request, so a slow handshake cannot make a cap close look early', async () => {
    // The service starts its clock when it accepts the upgrade, somewhere inside the handshake;
    // counted from the socket's open instead, a cap close arrives "early" by the rest of the
    // handshake and was taken for a drop (ai_disconnected) on a loaded machine.
    const clock = new ManualClock();
    const events = new AiEventLog();
    const ready = events.next('ready');
    const connect = createQwenConnector(connectorOptions(server, captureLogger(), { nowMs: clock.nowMs, sessionCapMs: 900 }));
    const connecting = connect(testProfile(), events.onEvent, { callId: 'call-1' });
    clock.advance(400); // the handshake: the service accepted 300 ms in, the socket opened at 400 ms
    await connecting;
    await ready;
    const conn = await server.connection();
    clock.advance(800); // 900 ms of the service's clock
    const closed = events.next('closed');
    conn.close(1000);
    expect(await closed).toMatchObject({ type: 'closed', cause: 'session_cap', code: 1000 });
  });

  it('does not attribute an earlier close to the cap', async () => {
    const clock = new ManualClock();
    const { conn, events } = await openSession(server, { nowMs: clock.nowMs, sessionCapMs: 7_200_000 });
    clock.advance(7_100_000);
    const closed = events.next('closed');
    conn.close(1000);
    expect(await closed).toMatchObject({ type: 'closed', cause: 'remote_close', code: 1000 });
  });

  it('closes with 1000 when asked, once, and emits nothing', async () => {
    const { session, conn, events } = await openSession(server);
    session.close();
    session.close();
    expect(await conn.closed).toEqual({ code: 1000, reason: '' });
    await vi.waitFor(() => expect(session.state).toBe('closed'));
    expect(events.events.map((event) => event.type)).toEqual(['ready']);
  });
});

describe('QwenRealtimeSession: finishing after the call', () => {
  it('closes at once when no caller transcript is due', async () => {
    const open = await openSession(server);
    expect(open.session.finish(1_500)).toBeUndefined();
    expect(open.session.state).toBe('closing');
  });

  it('waits for the caller transcript still due after a hang-up, delivers it, then closes', async () => {
    const open = await openSession(server);
    const { session, conn, events } = open;
    const stopped = events.next('speech_stopped');
    conn.send({ type: 'input_audio_buffer.speech_stopped', item_id: 'item_9', audio_end_ms: 1200 });
    await stopped;
    const finished = session.finish(1_500);
    expect(finished).toBeInstanceOf(Promise);
    session.appendAudio(ramp(1600)); // nothing more goes out
    session.createResponse('ignored');
    const transcript = events.next('caller_transcript', (e) => e.final);
    conn.send({ type: 'conversation.item.input_audio_transcription.completed', item_id: 'item_9', transcript: 'Thanks, bye.' });
    expect(await transcript).toMatchObject({ text: 'Thanks, bye.' });
    await finished;
    expect((await conn.closed).code).toBe(1000);
    expect(conn.ofType('response.create')).toEqual([]);
    expect(conn.ofType('input_audio_buffer.append')).toEqual([]);
  });

  it('gives up after the grace period', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const open = await openSession(server);
      const stopped = open.events.next('speech_stopped');
      open.conn.send({ type: 'input_audio_buffer.speech_stopped', item_id: 'item_9', audio_end_ms: 1200 });
      await stopped;
      const finished = open.session.finish(1_500);
      await vi.advanceTimersByTimeAsync(1_500);
      await finished;
      expect(open.session.state).toBe('closing');
    } finally {
      vi.useRealTimers();
    }
  });
});
