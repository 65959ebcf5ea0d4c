/**
 * Live-mode tool calls (S-4): the response takes its time to end after the call, may speak a
 * preamble first, may hold several calls, and an output sent before its response is done is
 * refused the way the live service refuses it ("Unknown function call id").
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  startQwenSimulator,
  type ConversationScript,
  type QwenSimulator,
  type ScriptedReply,
} from '../../../src/sim/qwen/index.js';
import { appendEvents, callerQuestion16k, concat, silence } from './caller-audio.js';
import { RawClient, types, type WireEvent } from './raw-client.js';

let sim: QwenSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

function scriptWith(reply: ScriptedReply): Partial<ConversationScript> {
  return { turns: [{ callerTranscript: 'Where is my order, and can I speak to sales?', reply }] };
}

const tool = (name: string) => ({ type: 'function', function: { name, parameters: { type: 'object', properties: {} } } });

async function callerAsks(reply: ScriptedReply, toolCallDoneDelayMs?: number): Promise<{ client: RawClient; events: WireEvent[] }> {
  const timing = { speedFactor: 50, firstDeltaDelayMs: 0, ...(toolCallDoneDelayMs === undefined ? {} : { toolCallDoneDelayMs }) };
  sim = await startQwenSimulator({ script: scriptWith(reply), timing });
  const client = await RawClient.connect(sim.url, { model: 'qwen3.8-omni-flash-realtime' });
  await client.next();
  client.send({
    type: 'session.update',
    session: { turn_detection: { silence_duration_ms: 400 }, tools: [tool('lookup_order'), tool('transfer_call')] },
  });
  expect((await client.next()).type).toBe('session.updated');
  for (const append of appendEvents(concat(callerQuestion16k(), silence(500)))) client.send(append);
  await client.until('conversation.item.input_audio_transcription.completed');
  return { client, events: await client.until('response.function_call_arguments.done') };
}

function output(callId: string, result: string): Record<string, unknown> {
  return { type: 'conversation.item.create', item: { type: 'function_call_output', call_id: callId, output: result } };
}

describe('live tool-call responses', () => {
  it('end some time after the call, and refuse an output sent before response.done', async () => {
    const { client, events } = await callerAsks(
      { toolCall: { name: 'transfer_call', arguments: { department: 'sales' } }, afterTool: { text: 'Transferring you now.' } },
      // Long enough that an output sent on arguments.done surely lands inside the window.
      1_000,
    );
    const callId = events.at(-1)!.call_id as string;
    // Answered at once, the way a client that runs the tool on arguments.done would.
    client.send(output(callId, '{"ok":true}'));
    const early = await client.until('error');
    expect((early.at(-1)!.error as { message: string }).message).toContain('Unknown function call id');
    expect(types(early)).not.toContain('response.done');
    const rest = await client.until('response.done');
    expect(types(rest)).toContain('response.output_item.done');
    expect((rest.at(-1)!.response as { status: string }).status).toBe('completed');

    // After response.done the same output is taken, and response.create speaks the after-tool line.
    client.send(output(callId, '{"ok":true}'));
    expect((await client.next()).type).toBe('conversation.item.created');
    client.send({ type: 'response.create' });
    const answer = await client.until('response.done');
    expect(answer.find((e) => e.type === 'response.audio_transcript.done')!.transcript).toBe('Transferring you now.');
    expect(sim!.sessions[0]!.received.filter((r) => r.type === 'conversation.item.create').map((r) => r.accepted)).toEqual([
      false,
      true,
    ]);
  });

  it('can speak a preamble before the call, in the same response', async () => {
    const { client, events } = await callerAsks({
      preamble: { text: 'Let me look that up.' },
      toolCall: { name: 'lookup_order', arguments: { order: '42' } },
      afterTool: { text: 'It ships tomorrow.' },
    });
    const seq = types(events);
    const firstAudio = seq.indexOf('response.audio.delta');
    const callAdded = events.findIndex((e) => e.type === 'response.output_item.added' && (e.item as { type: string }).type === 'function_call');
    expect(firstAudio).toBeGreaterThan(0);
    expect(firstAudio).toBeLessThan(callAdded);
    expect(events.find((e) => e.type === 'response.audio_transcript.done')!.transcript).toBe('Let me look that up.');
    expect(events.at(-1)).toMatchObject({ output_index: 1, name: 'lookup_order' });
    const done = (await client.until('response.done')).at(-1)!.response as { status: string; output: Array<{ type: string }> };
    expect(done.status).toBe('completed');
    expect(done.output.map((o) => o.type)).toEqual(['message', 'function_call']);
    expect(sim!.sessions[0]!.responses[0]).toMatchObject({ kind: 'function_call', toolName: 'lookup_order', audioDeltas: expect.any(Number) as unknown });
    expect(sim!.sessions[0]!.responses[0]!.audioDeltas).toBeGreaterThan(0);
  });

  it('holds several calls; response.create gets the after-tool line only once every call has its output', async () => {
    const { client, events } = await callerAsks({
      toolCall: [
        { name: 'lookup_order', arguments: { order: '42' } },
        { name: 'transfer_call', arguments: { department: 'sales' } },
      ],
      afterTool: { text: 'Your order ships tomorrow; transferring you to sales.' },
    });
    const first = events.at(-1)!;
    expect(first).toMatchObject({ name: 'lookup_order', output_index: 0 });
    const rest = await client.until('response.done');
    const second = rest.find((e) => e.type === 'response.function_call_arguments.done')!;
    expect(second).toMatchObject({ name: 'transfer_call', output_index: 1 });
    const done = rest.at(-1)!.response as { output: Array<{ call_id: string }> };
    expect(done.output.map((o) => o.call_id)).toEqual([first.call_id, second.call_id]);

    client.send(output(first.call_id as string, '{"eta":"tomorrow"}'));
    expect((await client.next()).type).toBe('conversation.item.created');
    client.send(output(second.call_id as string, '{"transferred":true}'));
    expect((await client.next()).type).toBe('conversation.item.created');
    client.send({ type: 'response.create' });
    const answer = await client.until('response.done');
    expect(answer.find((e) => e.type === 'response.audio_transcript.done')!.transcript).toBe(
      'Your order ships tomorrow; transferring you to sales.',
    );
    expect(sim!.sessions[0]!.toolOutputs.map((o) => o.toolName)).toEqual(['lookup_order', 'transfer_call']);
    expect(sim!.sessions[0]!.responses[0]!.calls?.map((c) => c.toolName)).toEqual(['lookup_order', 'transfer_call']);
  });

  it('answers a response.create sent with only some outputs without the after-tool line', async () => {
    const { client, events } = await callerAsks({
      toolCall: [
        { name: 'lookup_order', arguments: { order: '42' } },
        { name: 'transfer_call', arguments: { department: 'sales' } },
      ],
      afterTool: { text: 'Both done.' },
    });
    await client.until('response.done');
    client.send(output(events.at(-1)!.call_id as string, '{}'));
    await client.next();
    client.send({ type: 'response.create' });
    const answer = await client.until('response.done');
    expect(answer.find((e) => e.type === 'response.audio_transcript.done')!.transcript).not.toBe('Both done.');
    expect(sim!.sessions[0]!.responses.at(-1)!.source).toBe('fallback');
  });

  it('does not authorise the calls of a response the caller cancelled', async () => {
    const { client, events } = await callerAsks(
      { toolCall: { name: 'transfer_call', arguments: { department: 'sales' } }, afterTool: { text: 'Transferring.' } },
      1_000,
    );
    client.send({ type: 'response.cancel' });
    const done = (await client.until('response.done')).at(-1)!.response as { status: string; status_details: unknown };
    expect(done).toMatchObject({ status: 'cancelled', status_details: { reason: 'client_cancelled' } });
    client.send(output(events.at(-1)!.call_id as string, '{}'));
    expect(((await client.next()).error as { message: string }).message).toContain('Unknown function call id');
  });
});
