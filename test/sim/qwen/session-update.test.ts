import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startQwenSimulator, type QwenSimulator } from '../../../src/sim/qwen/index.js';
import { RawClient, type WireEvent } from './raw-client.js';

let sim: QwenSimulator;
beforeEach(async () => {
  // The documented rules (string error codes, tools refused on older families); live.test.ts covers live mode.
  sim = await startQwenSimulator({ fidelity: 'documented' });
});
afterEach(async () => {
  await sim.close();
});

async function connect(model = 'qwen3.5-omni-flash-realtime'): Promise<RawClient> {
  const client = await RawClient.connect(sim.url, { model });
  expect((await client.next()).type).toBe('session.created');
  return client;
}

async function update(client: RawClient, session: unknown): Promise<WireEvent> {
  client.send({ type: 'session.update', event_id: 'event_test', session });
  return client.next();
}

const TD = 'session.turn_detection';
const EIGHT_KHZ = { type: 'pcm', sample_rate: 8000 };

const transferTool = {
  type: 'function',
  function: {
    name: 'transfer_call',
    description: 'Transfer the caller to a human agent',
    parameters: { type: 'object', properties: { department: { type: 'string' } }, required: ['department'] },
  },
};

describe('session.update', () => {
  it('rejects modalities ["audio"] with the documented error, exactly', async () => {
    const client = await connect();
    const reply = await update(client, { modalities: ['audio'] });
    expect(reply).toEqual({
      event_id: expect.stringMatching(/^event_/) as unknown,
      type: 'error',
      error: {
        type: 'invalid_request_error',
        code: 'invalid_value',
        message: "Invalid modalities: ['audio']. Supported combinations are: ['text'] and ['audio', 'text'].",
        param: 'session.modalities',
      },
    });
  });

  it('echoes the full effective configuration in session.updated, keeping omitted fields', async () => {
    const client = await connect();
    const reply = await update(client, {
      modalities: ['text', 'audio'],
      voice: 'Ethan',
      instructions: 'Keep answers short.',
      input_audio_format: 'pcm16',
      output_audio_format: 'pcm24',
      input_audio_transcription: { model: 'gummy-realtime-v1' },
      turn_detection: { type: 'semantic_vad', threshold: 0.7, silence_duration_ms: 600 },
      tools: [transferTool],
      temperature: 0.5,
    });
    expect(reply.type).toBe('session.updated');
    expect(reply.session).toMatchObject({
      object: 'realtime.session',
      model: 'qwen3.5-omni-flash-realtime',
      voice: 'Ethan',
      instructions: 'Keep answers short.',
      input_audio_format: 'pcm16',
      output_audio_format: 'pcm24',
      // The transcription model is fixed by the service, whatever the client names.
      input_audio_transcription: { model: 'qwen3-asr-flash-realtime' },
      turn_detection: {
        type: 'semantic_vad',
        threshold: 0.7,
        prefix_padding_ms: 300,
        silence_duration_ms: 600,
        create_response: true,
        interrupt_response: true,
      },
      tools: [transferTool],
      enable_search: false,
      temperature: 0.5,
      top_p: 0.8,
      seed: -1,
    });
    const later = await update(client, { voice: 'Tina' });
    expect(later.session).toMatchObject({ voice: 'Tina', instructions: 'Keep answers short.', tools: [transferTool] });
    expect(sim.sessions[0]!.config.voice).toBe('Tina');
  });

  it('turns transcription off with null and VAD off with turn_detection null', async () => {
    const client = await connect();
    const reply = await update(client, { input_audio_transcription: null, turn_detection: null });
    expect(reply.session).toMatchObject({ input_audio_transcription: null, turn_detection: null });
  });

  it('echoes idle_timeout_ms only for qwen3.5 with server_vad', async () => {
    const plus = await connect('qwen3.5-omni-plus-realtime');
    const withIdle = await update(plus, { turn_detection: { type: 'server_vad', idle_timeout_ms: 10_000 } });
    expect((withIdle.session as { turn_detection: object }).turn_detection).toMatchObject({ idle_timeout_ms: 10_000 });
    const flash3 = await connect('qwen3-omni-flash-realtime');
    const dropped = await update(flash3, { turn_detection: { type: 'server_vad', idle_timeout_ms: 10_000 } });
    expect(dropped.type).toBe('session.updated');
    expect('idle_timeout_ms' in (dropped.session as { turn_detection: object }).turn_detection).toBe(false);
  });

  it.each([
    ['tools with enable_search', { tools: [transferTool], enable_search: true }, 'session.tools', /at the same time/],
    ['threshold above 1', { turn_detection: { threshold: 1.5 } }, `${TD}.threshold`, /between -1.0 and 1.0/],
    ['threshold below -1', { turn_detection: { threshold: -1.01 } }, `${TD}.threshold`, /between -1.0 and 1.0/],
    ['silence below 200 ms', { turn_detection: { silence_duration_ms: 100 } }, `${TD}.silence_duration_ms`, /200 and 6000/],
    ['silence above 6 s', { turn_detection: { silence_duration_ms: 6001 } }, `${TD}.silence_duration_ms`, /200 and 6000/],
    ['idle timeout below 5 s', { turn_detection: { idle_timeout_ms: 4_999 } }, `${TD}.idle_timeout_ms`, /5000 and 30000/],
    ['idle timeout above 30 s', { turn_detection: { idle_timeout_ms: 30_001 } }, `${TD}.idle_timeout_ms`, /5000 and 30000/],
    ['an unknown VAD type', { turn_detection: { type: 'push_to_talk' } }, `${TD}.type`, /server_vad/],
    ['input format g711_ulaw', { input_audio_format: 'g711_ulaw' }, 'session.input_audio_format', /'pcm', 'pcm16'/],
    ['output format mp3', { output_audio_format: 'mp3' }, 'session.output_audio_format', /'pcm24'/],
    ['8 kHz in the nested audio form', { audio: { input: { format: EIGHT_KHZ } } }, 'session.audio.input.format', /16000/],
    ['a temperature of 2', { temperature: 2 }, 'session.temperature', /\[0, 2\)/],
    ['a tool without a name', { tools: [{ type: 'function', function: {} }] }, 'session.tools[0].function.name', /letters/],
    ['modalities ["audio","audio"]', { modalities: ['audio', 'audio'] }, 'session.modalities', /Supported combinations/],
  ])('rejects %s', async (_what, session, param, message) => {
    const client = await connect();
    const reply = await update(client, session);
    expect(reply.type).toBe('error');
    const error = reply.error as Record<string, unknown>;
    expect(error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_value', param });
    expect(error.message).toMatch(message);
    expect(Object.keys(error).sort()).toEqual(['code', 'message', 'param', 'type']);
  });

  it.each([
    ['tools', { tools: [transferTool] }, 'session.tools'],
    ['semantic_vad', { turn_detection: { type: 'semantic_vad' } }, 'session.turn_detection.type'],
    ['enable_search', { enable_search: true }, 'session.enable_search'],
  ])('rejects %s on a model that is not qwen3.5', async (_what, session, param) => {
    const client = await connect('qwen3-omni-flash-realtime');
    const reply = await update(client, session);
    expect(reply.error).toMatchObject({ code: 'invalid_value', param });
    expect((reply.error as { message: string }).message).toContain('qwen3-omni-flash-realtime');
  });

  it('leaves the configuration unchanged after a rejected update, and the session usable', async () => {
    const client = await connect();
    const rejected = await update(client, { voice: 'Ethan', turn_detection: { threshold: 3 } });
    expect(rejected.type).toBe('error');
    const accepted = await update(client, { instructions: 'Hello' });
    expect(accepted.type).toBe('session.updated');
    expect(accepted.session).toMatchObject({ voice: 'Tina', instructions: 'Hello' });
    expect(sim.sessions[0]!.received.map((r) => [r.type, r.accepted])).toEqual([
      ['session.update', false],
      ['session.update', true],
    ]);
  });

  it('keeps turbo sampling fixed: accepted, but the echo shows the fixed values', async () => {
    const client = await connect('qwen-omni-turbo-realtime');
    const reply = await update(client, { temperature: 0.2, top_p: 0.5 });
    expect(reply.session).toMatchObject({ temperature: 1.0, top_p: 0.01, voice: 'Chelsie' });
  });
});
