import { afterEach, describe, expect, it } from 'vitest';
import { pcm16FromBase64 } from '../../../src/audio/pcm.js';
import { startQwenSimulator, SUPPORT_LINE_SCRIPT, type QwenSimulator } from '../../../src/sim/qwen/index.js';
import { appendEvents, callerQuestion16k, concat, durationMs, silence } from './caller-audio.js';
import { RawClient, types } from './raw-client.js';

const DELTAS = new Set(['response.audio_transcript.delta', 'response.audio.delta']);

let sim: QwenSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function openSession(): Promise<RawClient> {
  const client = await RawClient.connect(sim!.url);
  expect((await client.next()).type).toBe('session.created');
  client.send({
    type: 'session.update',
    session: {
      instructions: 'You answer the Acme support line.',
      turn_detection: { type: 'server_vad', threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 500 },
    },
  });
  expect((await client.next()).type).toBe('session.updated');
  return client;
}

describe('a server-VAD turn', () => {
  it('follows the documented event order from speech to response.done', async () => {
    sim = await startQwenSimulator({ timing: { speedFactor: 40, firstDeltaDelayMs: 0 } });
    const client = await openSession();
    const speech = callerQuestion16k();
    for (const append of appendEvents(concat(silence(600), speech, silence(900)))) client.send(append);

    const events = await client.until('response.done');
    const seq = types(events);
    expect(seq.slice(0, 4)).toEqual([
      'input_audio_buffer.speech_started',
      'input_audio_buffer.speech_stopped',
      'input_audio_buffer.committed',
      'conversation.item.created',
    ]);
    const afterTranscription = seq.indexOf('response.created');
    expect(seq.slice(4, afterTranscription)).toEqual([
      ...Array<string>(4).fill('conversation.item.input_audio_transcription.delta'),
      'conversation.item.input_audio_transcription.completed',
    ]);
    expect(seq.slice(afterTranscription, afterTranscription + 4)).toEqual([
      'response.created',
      'response.output_item.added',
      'conversation.item.created',
      'response.content_part.added',
    ]);
    expect(seq.slice(-5)).toEqual([
      'response.audio_transcript.done',
      'response.audio.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.done',
    ]);
    const middle = seq.slice(afterTranscription + 4, -5);
    expect(middle.every((t) => DELTAS.has(t))).toBe(true);
    // Interleaved: transcript deltas keep arriving while audio is still streaming.
    const lastTranscript = middle.lastIndexOf('response.audio_transcript.delta');
    expect(middle.indexOf('response.audio.delta')).toBeLessThan(lastTranscript);
    expect(middle.indexOf('response.audio_transcript.delta')).toBe(0);

    // One item id ties the user turn together.
    const started = events[0]!;
    const userItemId = started.item_id as string;
    expect(userItemId).toMatch(/^item_/);
    for (const e of events.slice(1, 3)) expect(e.item_id).toBe(userItemId);
    expect((events[3]!.item as { id: string; role: string }).id).toBe(userItemId);
    expect((events[3]!.item as { role: string }).role).toBe('user');

    // VAD positions are in audio time: speech begins after ~600 ms of silence.
    expect(started.audio_start_ms).toBeGreaterThanOrEqual(560);
    expect(started.audio_start_ms).toBeLessThanOrEqual(700);
    const stopped = events[1]!;
    expect(stopped.audio_end_ms).toBeGreaterThan(600 + durationMs(speech) - 200);
    expect(stopped.audio_end_ms).toBeLessThanOrEqual(600 + durationMs(speech) + 40);
  });

  it('reports the caller transcript as replacing text + stash previews, then completed', async () => {
    sim = await startQwenSimulator({ timing: { speedFactor: 40, firstDeltaDelayMs: 0 } });
    const client = await openSession();
    for (const append of appendEvents(concat(silence(300), callerQuestion16k(), silence(700)))) client.send(append);
    const events = await client.until('conversation.item.input_audio_transcription.completed');
    const previews = events
      .filter((e) => e.type === 'conversation.item.input_audio_transcription.delta')
      .map((e) => `${e.text as string}${e.stash as string}`);
    const expected = SUPPORT_LINE_SCRIPT.turns[0]!.callerTranscript;
    expect(previews.at(-1)).toBe(expected);
    // The provisional tail is revised: one preview is not a prefix of the final transcript.
    expect(previews.some((p) => !expected.startsWith(p))).toBe(true);
    const deltas = events.filter((e) => e.type === 'conversation.item.input_audio_transcription.delta');
    for (const [i, delta] of deltas.entries()) {
      // The confirmed part only grows.
      if (i > 0) expect((delta.text as string).startsWith(deltas[i - 1]!.text as string)).toBe(true);
      expect(delta).toMatchObject({ content_index: 0, language: 'en', emotion: 'neutral' });
    }
    expect(events.at(-1)!.transcript).toBe(expected);
  });

  it('streams the scripted answer as 24 kHz audio faster than real time, with usage from durations', async () => {
    sim = await startQwenSimulator({ timing: { speedFactor: 8, firstDeltaDelayMs: 0 } });
    const client = await openSession();
    for (const append of appendEvents(concat(silence(200), callerQuestion16k(), silence(700)))) client.send(append);
    const events = await client.until('response.done');

    const audio = events.filter((e) => e.type === 'response.audio.delta');
    const samples = audio.map((e) => pcm16FromBase64(e.delta as string));
    // ~100 ms per delta: 2,400 samples at 24 kHz, the last one shorter.
    for (const chunk of samples.slice(0, -1)) expect(chunk.length).toBe(2_400);
    const totalMs = (samples.reduce((n, c) => n + c.length, 0) * 1000) / 24_000;
    expect(totalMs).toBeGreaterThan(6_000); // the order-status answer is long enough to barge into

    const reply = SUPPORT_LINE_SCRIPT.turns[0]!.reply as { text: string };
    const transcript = events
      .filter((e) => e.type === 'response.audio_transcript.delta')
      .map((e) => e.delta as string)
      .join('');
    expect(transcript).toBe(reply.text);
    expect(events.find((e) => e.type === 'response.audio_transcript.done')!.transcript).toBe(reply.text);

    const done = events.at(-1)!.response as {
      status: string;
      output: Array<{ type: string; role: string; content: Array<{ type: string; transcript: string }> }>;
      usage: { input_tokens_details: { audio_tokens: number }; output_tokens_details: { audio_tokens: number } };
    };
    expect(done.status).toBe('completed');
    expect(done.output).toHaveLength(1);
    expect(done.output[0]).toMatchObject({
      type: 'message',
      role: 'assistant',
      content: [{ type: 'audio', transcript: reply.text }],
    });
    // qwen3.5: 12.5 output audio tokens per second of audio sent.
    expect(done.usage.output_tokens_details.audio_tokens).toBe(Math.round((totalMs / 1000) * 12.5));
    // Input: the committed caller turn at 7 tokens/s (speech plus padding and trailing silence).
    const committedMs = sim.sessions[0]!.userItems[0]!.audioMs;
    expect(done.usage.input_tokens_details.audio_tokens).toBe(Math.round((committedMs / 1000) * 7));
  });

  it('sends audio deltas at least as fast as real time, and at the configured speed', async () => {
    sim = await startQwenSimulator({ timing: { speedFactor: 8, firstDeltaDelayMs: 0 } });
    const client = await openSession();
    for (const append of appendEvents(concat(callerQuestion16k(), silence(600)))) client.send(append);
    await client.until('response.audio.delta');
    const firstAt = Date.now();
    const rest = await client.until('response.done', 5_000);
    const elapsedMs = Date.now() - firstAt;
    const audioMs = rest.filter((e) => e.type === 'response.audio.delta').length * 100;
    // 6.3 s of audio at 8x real time takes ~0.8 s: well under real time, but paced, not a burst.
    expect(elapsedMs).toBeLessThan(audioMs / 4);
    expect(elapsedMs).toBeGreaterThan(audioMs / 16);
  });
});
