import { afterEach, describe, expect, it } from 'vitest';
import {
  startQwenSimulator,
  SUPPORT_LINE_SCRIPT,
  type QwenSimulator,
  type QwenSimulatorOptions,
} from '../../../src/sim/qwen/index.js';
import { appendEvents, callerQuestion16k, concat, silence } from './caller-audio.js';
import { RawClient, types, type WireEvent } from './raw-client.js';

const ORDER_STATUS = (SUPPORT_LINE_SCRIPT.turns[0]!.reply as { text: string }).text;
const OPENING_HOURS = (SUPPORT_LINE_SCRIPT.turns[1]!.reply as { text: string }).text;
const ENDING = [
  'response.audio_transcript.done',
  'response.audio.done',
  'response.content_part.done',
  'response.output_item.done',
  'response.done',
];

let sim: QwenSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function open(
  options: QwenSimulatorOptions,
  turnDetection: Record<string, unknown> | null = {},
): Promise<RawClient> {
  // Documented: cut responses end `incomplete` without status_details; live.test.ts covers live mode.
  sim = await startQwenSimulator({ fidelity: 'documented', ...options });
  const client = await RawClient.connect(sim.url);
  await client.next();
  const turn_detection = turnDetection === null ? null : { silence_duration_ms: 400, ...turnDetection };
  client.send({ type: 'session.update', session: { turn_detection } });
  expect((await client.next()).type).toBe('session.updated');
  return client;
}

function speak(client: RawClient): void {
  for (const append of appendEvents(concat(callerQuestion16k(), silence(500)))) client.send(append);
}

function ofResponse(events: readonly WireEvent[], responseId: string): WireEvent[] {
  return events.filter(
    (e) => e.response_id === responseId || (e.response as { id?: string } | undefined)?.id === responseId,
  );
}

describe('barge-in (server VAD, interrupt_response true)', () => {
  it('stops the audio at speech_started and ends the response as incomplete with the partial transcript', async () => {
    const client = await open({ timing: { speedFactor: 4, firstDeltaDelayMs: 0 } });
    speak(client);
    const first = (await client.until('response.created')).at(-1)!.response as { id: string };
    await client.until('response.audio.delta');
    await client.until('response.audio.delta'); // the answer is playing
    speak(client); // the caller talks over it
    const rest = await client.until('response.done');
    const bargeIn = rest.findIndex((e) => e.type === 'input_audio_buffer.speech_started');
    expect(bargeIn).toBeGreaterThanOrEqual(0);
    const afterBargeIn = rest.slice(bargeIn + 1);
    // Nothing of the interrupted response but its ending follows the barge-in.
    expect(types(afterBargeIn)).toEqual(ENDING);
    const done = afterBargeIn.at(-1)!.response as {
      id: string;
      status: string;
      output: Array<{ status: string; content: Array<{ transcript: string }> }>;
    };
    expect(done).toMatchObject({ id: first.id, status: 'incomplete' });
    expect(done.output[0]!.status).toBe('incomplete');
    const partial = afterBargeIn[0]!.transcript as string;
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(ORDER_STATUS.length);
    expect(ORDER_STATUS.startsWith(partial)).toBe(true);
    expect(done.output[0]!.content[0]!.transcript).toBe(partial);
    const sent = ofResponse(client.events, first.id).filter((e) => e.type === 'response.audio_transcript.delta');
    expect(sent.map((e) => e.delta).join('')).toBe(partial);

    // The caller's new turn gets the next scripted answer; the old response stays silent.
    const next = await client.until('response.done');
    expect(ofResponse(next, first.id)).toEqual([]);
    expect(next.find((e) => e.type === 'response.audio_transcript.done')!.transcript).toBe(OPENING_HOURS);
    expect(sim!.sessions[0]!.responses.map((r) => r.status)).toEqual(['incomplete', 'completed']);
  });

  it('lets the response finish when interrupt_response is false, then answers the new turn', async () => {
    const client = await open({ timing: { speedFactor: 10, firstDeltaDelayMs: 0 } }, { interrupt_response: false });
    speak(client);
    await client.until('response.audio.delta');
    speak(client);
    const first = await client.until('response.done');
    expect(types(first)).toContain('input_audio_buffer.speech_started');
    expect((first.at(-1)!.response as { status: string }).status).toBe('completed');
    const second = await client.until('response.done');
    expect(second.find((e) => e.type === 'response.audio_transcript.done')!.transcript).toBe(OPENING_HOURS);
  });
});

describe('response.cancel', () => {
  it('ends a speaking response at once, and no delta of it follows', async () => {
    const client = await open({ timing: { speedFactor: 2, firstDeltaDelayMs: 0 } }, null);
    client.send({ type: 'response.create' });
    await client.until('response.audio.delta');
    client.send({ type: 'response.cancel' });
    const ending = await client.until('response.done');
    const endIndex = ending.findIndex((e) => e.type === 'response.audio_transcript.done');
    expect(types(ending.slice(endIndex))).toEqual(ENDING);
    expect((ending.at(-1)!.response as { status: string }).status).toBe('incomplete');
    expect(await client.quietFor(150)).toEqual([]);
    // Cancelling again: nothing is in progress any more.
    client.send({ type: 'response.cancel' });
    expect((await client.next()).error).toMatchObject({ code: 'response_cancel_not_active' });
  });

  it('uses the configured status for responses cut short', async () => {
    const client = await open({ timing: { speedFactor: 2, firstDeltaDelayMs: 0 }, endedEarlyStatus: 'cancelled' }, null);
    client.send({ type: 'response.create' });
    await client.until('response.audio.delta');
    client.send({ type: 'response.cancel' });
    const done = (await client.until('response.done')).at(-1)!;
    expect((done.response as { status: string }).status).toBe('cancelled');
  });

  it('ends a response still thinking with no output items at all', async () => {
    const client = await open({ timing: { speedFactor: 4, firstDeltaDelayMs: 300 } }, null);
    client.send({ type: 'response.create' });
    expect((await client.next()).type).toBe('response.created');
    client.send({ type: 'response.cancel' });
    const done = await client.next();
    expect(done.type).toBe('response.done');
    expect(done.response).toMatchObject({ status: 'incomplete', output: [] });
    expect(await client.quietFor(400)).toEqual([]);
  });
});
