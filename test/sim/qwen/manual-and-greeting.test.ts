import { afterEach, describe, expect, it } from 'vitest';
import {
  startQwenSimulator,
  SUPPORT_LINE_SCRIPT,
  type QwenSimulatorOptions,
  type QwenSimulator,
} from '../../../src/sim/qwen/index.js';
import { appendEvents, callerQuestion16k } from './caller-audio.js';
import { RawClient, types } from './raw-client.js';

let sim: QwenSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function open(options: QwenSimulatorOptions = {}, session: Record<string, unknown> = {}): Promise<RawClient> {
  // Documented error shapes; live.test.ts covers live mode.
  sim = await startQwenSimulator({ fidelity: 'documented', timing: { speedFactor: 50, firstDeltaDelayMs: 0 }, ...options });
  const client = await RawClient.connect(sim.url);
  await client.next();
  client.send({ type: 'session.update', session });
  expect((await client.next()).type).toBe('session.updated');
  return client;
}

function transcriptOf(events: ReadonlyArray<{ type: string; transcript?: unknown }>): unknown {
  return events.find((e) => e.type === 'response.audio_transcript.done')?.transcript;
}

describe('manual turns (turn_detection: null)', () => {
  it('commits without responding, then answers the committed turn on response.create', async () => {
    const client = await open({}, { turn_detection: null });
    for (const append of appendEvents(callerQuestion16k())) client.send(append);
    client.send({ type: 'input_audio_buffer.commit' });
    const committed = await client.until('conversation.item.input_audio_transcription.completed');
    expect(types(committed).slice(0, 2)).toEqual(['input_audio_buffer.committed', 'conversation.item.created']);
    // No VAD events in manual mode, and a commit does not start a response.
    expect(types(committed).some((t) => t.startsWith('input_audio_buffer.speech'))).toBe(false);
    expect(await client.quietFor(150)).toEqual([]);

    client.send({ type: 'response.create' });
    const response = await client.until('response.done');
    expect(response[0]!.type).toBe('response.created');
    expect(transcriptOf(response)).toBe((SUPPORT_LINE_SCRIPT.turns[0]!.reply as { text: string }).text);
    const item = sim!.sessions[0]!.userItems[0]!;
    expect(item.via).toBe('commit');
    expect(item.audioMs).toBeGreaterThan(1_300);
  });

  it('clears the buffer on input_audio_buffer.clear, so a commit then has nothing to commit', async () => {
    const client = await open({}, { turn_detection: null });
    for (const append of appendEvents(callerQuestion16k())) client.send(append);
    client.send({ type: 'input_audio_buffer.clear' });
    expect((await client.next()).type).toBe('input_audio_buffer.cleared');
    client.send({ type: 'input_audio_buffer.commit' });
    expect((await client.next()).error).toMatchObject({ code: 'input_audio_buffer_commit_empty' });
  });

  it('speaks text only with modalities ["text"]', async () => {
    const client = await open({}, { modalities: ['text'] });
    client.send({ type: 'response.create' });
    const events = await client.until('response.done');
    expect(types(events).filter((t) => t.startsWith('response.audio'))).toEqual([]);
    expect(events.find((e) => e.type === 'response.text.done')!.text).toBe(SUPPORT_LINE_SCRIPT.greeting.text);
    expect(events.find((e) => e.type === 'response.content_part.added')!.part).toEqual({ type: 'text', text: '' });
  });
});

describe('response.create with nothing committed', () => {
  it('greets first, then honours instructions with the instructed reply, else the fallback', async () => {
    const client = await open();
    client.send({ type: 'response.create', response: { instructions: 'Greet the caller.' } });
    expect(transcriptOf(await client.until('response.done'))).toBe(SUPPORT_LINE_SCRIPT.greeting.text);
    client.send({ type: 'response.create', response: { instructions: 'Say goodbye, the line closes soon.' } });
    expect(transcriptOf(await client.until('response.done'))).toBe(SUPPORT_LINE_SCRIPT.instructedReply.text);
    client.send({ type: 'response.create' });
    expect(transcriptOf(await client.until('response.done'))).toBe(SUPPORT_LINE_SCRIPT.fallbackReply.text);
    expect(sim!.sessions[0]!.responses.map((r) => r.source)).toEqual(['greeting', 'instructed', 'fallback']);
  });

  it('uses a custom script, synthesizing audio as long as the text for speech without a fixture', async () => {
    const short = 'Hi.';
    const long = 'Hello and welcome to the Acme support line, where every call is answered by a friendly voice.';
    const client = await open({ script: { greeting: { text: short }, fallbackReply: { text: long } } });
    client.send({ type: 'response.create' });
    const first = await client.until('response.done');
    client.send({ type: 'response.create' });
    const second = await client.until('response.done');
    const audioDeltas = (events: typeof first): number => events.filter((e) => e.type === 'response.audio.delta').length;
    expect(transcriptOf(first)).toBe(short);
    expect(transcriptOf(second)).toBe(long);
    expect(audioDeltas(second)).toBeGreaterThan(audioDeltas(first) * 5);
  });

  it('can refuse the greeting request (fault), so a local greeting fallback can be tested', async () => {
    const client = await open({ faults: { session: { rejectUnpromptedResponseCreate: 'first' } } });
    client.send({ type: 'response.create', response: { instructions: 'Greet the caller.' } });
    const refused = await client.next();
    expect(refused.type).toBe('error');
    expect(refused.error).toMatchObject({ type: 'invalid_request_error', param: 'response' });
    expect(await client.quietFor(100)).toEqual([]);
    // Only the first such request is refused.
    client.send({ type: 'response.create', response: { instructions: 'Say goodbye.' } });
    expect(transcriptOf(await client.until('response.done'))).toBe(SUPPORT_LINE_SCRIPT.instructedReply.text);
  });
});
