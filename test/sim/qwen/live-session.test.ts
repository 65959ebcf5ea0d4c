/**
 * The simulator's default, live-like mode: what the live service was seen to do where it differs
 * from the docs (field findings S-1, S-2, S-3, S-6, S-7, S-8).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startQwenSimulator, type QwenSimulator, type QwenSimulatorOptions } from '../../../src/sim/qwen/index.js';
import { appendEvents, callerQuestion16k, concat, silence } from './caller-audio.js';
import { RawClient, types, type WireEvent } from './raw-client.js';

const FAST = { speedFactor: 50, firstDeltaDelayMs: 0 };

let sim: QwenSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function open(options: QwenSimulatorOptions = {}, model = 'qwen3.5-omni-flash-realtime'): Promise<RawClient> {
  sim ??= await startQwenSimulator({ timing: FAST, ...options });
  const client = await RawClient.connect(sim.url, { model });
  expect((await client.next()).type).toBe('session.created');
  return client;
}

async function update(client: RawClient, session: Record<string, unknown>): Promise<WireEvent> {
  client.send({ type: 'session.update', session });
  return client.next();
}

function speak(client: RawClient): void {
  for (const append of appendEvents(concat(callerQuestion16k(), silence(500)))) client.send(append);
}

const transferTool = {
  type: 'function',
  function: { name: 'transfer_call', description: 'Transfer', parameters: { type: 'object', properties: {} } },
};

describe('live errors (S-8)', () => {
  it('carry an HTTP-like numeric code and status, a null param and the meaningful message', async () => {
    const client = await open();
    client.send({ type: 'response.cancel' });
    expect(await client.next()).toEqual({
      type: 'error',
      event_id: expect.stringMatching(/^event_/) as unknown,
      error: {
        type: 'invalid_request_error',
        code: 400,
        message: 'Cancellation failed: no active response found.',
        param: null,
        status: 400,
      },
    });
    const rejected = await update(client, { turn_detection: { threshold: 3 } });
    expect(rejected.error).toMatchObject({ code: 400, status: 400, param: null });
    expect((rejected.error as { message: string }).message).toMatch(/turn_detection\.threshold.*between -1\.0 and 1\.0/);
  });

  it('send injected server errors with the string code COMMON_ERROR and a meaningful message', async () => {
    const client = await open({ faults: { session: { errors: [{ at: { afterClientEvent: 'session.update' } }] } } });
    expect((await update(client, {})).type).toBe('session.updated');
    const injected = await client.next();
    expect(injected.error).toEqual({
      type: 'server_error',
      code: 'COMMON_ERROR',
      message: expect.stringMatching(/internal error/) as unknown,
      param: null,
      status: 500,
    });
  });
});

describe('voices (S-1)', () => {
  it('accepts any voice at session.update, then fails every spoken answer with "Voice \'X\' is not supported."', async () => {
    const client = await open();
    const echoed = await update(client, { voice: 'Chelsie', turn_detection: { silence_duration_ms: 400 } });
    expect(echoed.type).toBe('session.updated');
    expect((echoed.session as { voice: string }).voice).toBe('Chelsie');

    client.send({ type: 'response.create' });
    const greeting = await client.until('response.done');
    expect(types(greeting)).toEqual(['response.created', 'error', 'response.done']);
    const message = "Voice 'Chelsie' is not supported.";
    expect(greeting[1]!.error).toEqual({ type: 'invalid_request_error', code: 400, message, param: null, status: 400 });
    expect(greeting[2]!.response).toMatchObject({
      status: 'failed',
      status_details: { type: 'failed', error: { code: 400, message } },
      output: [],
    });

    // A VAD-started answer fails the same way: no audio at all in the session.
    speak(client);
    const turn = await client.until('response.done');
    expect(types(turn).filter((t) => t.startsWith('response.'))).toEqual(['response.created', 'response.done']);
    expect(types(turn)).toContain('error');
    expect((turn.at(-1)!.response as { status: string }).status).toBe('failed');
    expect(types(client.events)).not.toContain('response.audio.delta');
    expect(sim!.sessions[0]!.responses.map((r) => [r.source, r.status])).toEqual([
      ['greeting', 'failed'],
      ['turn', 'failed'],
    ]);
  });

  it('speaks with a voice of the model, and with a cloned-voice id', async () => {
    for (const voice of ['Ethan', 'qwen-omni-vc-acme_support_01']) {
      const client = await open();
      await update(client, { voice });
      client.send({ type: 'response.create' });
      const events = await client.until('response.done');
      expect(types(events)).toContain('response.audio.delta');
      expect((events.at(-1)!.response as { status: string }).status).toBe('completed');
    }
  });

  it('checks the voice against the model: Cherry speaks on qwen3-omni-flash but not on qwen3.5', async () => {
    const older = await open({}, 'qwen3-omni-flash-realtime');
    await update(older, { voice: 'Cherry' });
    older.send({ type: 'response.create' });
    expect((((await older.until('response.done')).at(-1)!.response) as { status: string }).status).toBe('completed');
    const newer = await open({}, 'qwen3.5-omni-plus-realtime');
    await update(newer, { voice: 'Cherry' });
    newer.send({ type: 'response.create' });
    expect((((await newer.until('response.done')).at(-1)!.response) as { status: string }).status).toBe('failed');
  });

  it('documented mode keeps speaking with any voice', async () => {
    const client = await open({ fidelity: 'documented' });
    await update(client, { voice: 'NoSuchVoiceZZZ' });
    client.send({ type: 'response.create' });
    expect(types(await client.until('response.done'))).toContain('response.audio.delta');
  });
});

describe('user text items (S-2)', () => {
  const item = (text: string): Record<string, unknown> => ({
    type: 'message',
    role: 'user',
    content: [{ type: 'input_text', text }],
  });

  it('are taken on qwen3.5 and qwen3.8; the next response.create answers them with the greeting', async () => {
    for (const model of ['qwen3.5-omni-flash-realtime', 'qwen3.8-omni-flash-realtime']) {
      const client = await open({ faults: { session: { rejectUnpromptedResponseCreate: 'always' } } }, model);
      client.send({ type: 'conversation.item.create', item: item('[call connected]') });
      const created = await client.next();
      expect(created).toMatchObject({
        type: 'conversation.item.created',
        item: { type: 'message', role: 'user', status: 'completed', content: [{ type: 'input_text', text: '[call connected]' }] },
      });
      expect((created.item as { id: string }).id).toMatch(/^item_/);
      // Counts as input: even a simulator told to refuse empty response.create answers this one.
      client.send({ type: 'response.create' });
      const greeting = await client.until('response.done');
      expect(greeting.find((e) => e.type === 'response.audio_transcript.done')!.transcript).toBe(
        'Acme support, how can I help?',
      );
      const session = sim!.sessions.at(-1)!;
      expect(session.userTextItems).toEqual(['[call connected]']);
      expect(session.responses.map((r) => r.source)).toEqual(['greeting']);
    }
  });

  it('are refused on qwen3-omni-flash and turbo, and in documented mode', async () => {
    for (const model of ['qwen3-omni-flash-realtime', 'qwen-omni-turbo-realtime']) {
      const client = await open({}, model);
      client.send({ type: 'conversation.item.create', item: item('hello') });
      const refused = await client.next();
      expect(refused.error).toMatchObject({ code: 400, status: 400 });
      expect((refused.error as { message: string }).message).toContain(model);
    }
    await sim!.close();
    sim = undefined;
    const documented = await open({ fidelity: 'documented' });
    documented.send({ type: 'conversation.item.create', item: item('hello') });
    expect((await documented.next()).error).toMatchObject({ code: 'invalid_value', param: 'item.type' });
    expect(sim!.sessions.every((s) => s.userTextItems.length === 0)).toBe(true);
  });

  it('refuses a message item that is not user input_text', async () => {
    const client = await open();
    client.send({ type: 'conversation.item.create', item: { type: 'message', role: 'assistant', content: [] } });
    expect(((await client.next()).error as { message: string }).message).toMatch(/role 'assistant'/);
    client.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_audio' }] } });
    expect(((await client.next()).error as { message: string }).message).toMatch(/input_text/);
  });
});

describe('tools per family (S-3)', () => {
  it('drops tools silently on qwen3-omni-flash and turbo: accepted, echoed as tools: null', async () => {
    for (const model of ['qwen3-omni-flash-realtime', 'qwen-omni-turbo-realtime']) {
      const client = await open({}, model);
      const reply = await update(client, { tools: [transferTool] });
      expect(reply.type).toBe('session.updated');
      expect((reply.session as { tools: unknown }).tools).toBeNull();
    }
  });

  it('keeps tools on qwen3.8 and qwen3.5', async () => {
    for (const model of ['qwen3.8-omni-flash-realtime', 'qwen3.5-omni-plus-realtime']) {
      const client = await open({}, model);
      const reply = await update(client, { tools: [transferTool], turn_detection: { type: 'semantic_vad' } });
      expect(reply.session).toMatchObject({ tools: [transferTool], turn_detection: { type: 'semantic_vad' } });
    }
  });

  it('still refuses semantic_vad where the family lacks it, and drops idle_timeout_ms', async () => {
    const client = await open({}, 'qwen3-omni-flash-realtime');
    const refused = await update(client, { turn_detection: { type: 'semantic_vad' } });
    expect(refused.error).toMatchObject({ code: 400, status: 400 });
    const dropped = await update(client, { turn_detection: { type: 'server_vad', idle_timeout_ms: 10_000 } });
    expect('idle_timeout_ms' in (dropped.session as { turn_detection: object }).turn_detection).toBe(false);
  });
});

describe('responses cut short (S-6)', () => {
  it('end cancelled with reason client_cancelled after response.cancel', async () => {
    const client = await open({ timing: { speedFactor: 2, firstDeltaDelayMs: 0 } });
    await update(client, { turn_detection: null });
    client.send({ type: 'response.create' });
    await client.until('response.audio.delta');
    client.send({ type: 'response.cancel' });
    const done = (await client.until('response.done')).at(-1)!;
    expect(done.response).toMatchObject({ status: 'cancelled', status_details: { type: 'cancelled', reason: 'client_cancelled' } });
  });

  it('end cancelled with reason turn_detected when the caller barges in', async () => {
    const client = await open({ timing: { speedFactor: 4, firstDeltaDelayMs: 0 } });
    await update(client, { turn_detection: { silence_duration_ms: 400 } });
    speak(client);
    await client.until('response.audio.delta');
    speak(client);
    const events = await client.until('response.done');
    expect(types(events)).toContain('input_audio_buffer.speech_started');
    expect(events.at(-1)!.response).toMatchObject({
      status: 'cancelled',
      status_details: { type: 'cancelled', reason: 'turn_detected' },
    });
  });
});

describe('caller transcription (S-7)', () => {
  async function transcribe(options: QwenSimulatorOptions): Promise<WireEvent[]> {
    const client = await open(options);
    await update(client, { turn_detection: { silence_duration_ms: 400 } });
    speak(client);
    return client.until('conversation.item.input_audio_transcription.completed');
  }
  const said = "Hi, I'm calling about my order. Can you tell me where it is?";

  it('sends previews with text always empty and the whole preview so far in stash', async () => {
    const events = await transcribe({});
    const deltas = events.filter((e) => e.type === 'conversation.item.input_audio_transcription.delta');
    expect(deltas.length).toBeGreaterThan(1);
    for (const delta of deltas) expect(delta.text).toBe('');
    expect(deltas.at(-1)!.stash).toBe(said);
    // Cumulative: each preview starts with the confirmed part of the one before it.
    expect((deltas[2]!.stash as string).startsWith(deltas[0]!.stash as string)).toBe(true);
    expect(events.at(-1)!.transcript).toBe(said);
  });

  it('can send the .text variant instead of .delta', async () => {
    const events = await transcribe({ transcriptionPreviewEvent: 'text' });
    const seen = types(events).filter((t) => t.startsWith('conversation.item.input_audio_transcription.'));
    expect(new Set(seen)).toEqual(
      new Set(['conversation.item.input_audio_transcription.text', 'conversation.item.input_audio_transcription.completed']),
    );
    const previews = events.filter((e) => e.type === 'conversation.item.input_audio_transcription.text');
    expect(previews.at(-1)).toMatchObject({ text: '', stash: said });
  });

  it('can end with an empty final transcript (fault), the words only in the previews', async () => {
    const events = await transcribe({ faults: { session: { transcription: { mode: 'empty_final' } } } });
    expect(events.at(-1)).toMatchObject({ type: 'conversation.item.input_audio_transcription.completed', transcript: '' });
    const last = events.filter((e) => e.type === 'conversation.item.input_audio_transcription.delta').at(-1)!;
    expect(last.stash).toBe(said);
  });
});
