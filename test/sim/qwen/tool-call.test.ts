import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startQwenSimulator, type ConversationScript, type QwenSimulator } from '../../../src/sim/qwen/index.js';
import { appendEvents, callerQuestion16k, concat, silence } from './caller-audio.js';
import { RawClient, types, type WireEvent } from './raw-client.js';

const script: Partial<ConversationScript> = {
  turns: [
    {
      callerTranscript: 'Can I talk to someone in sales?',
      reply: {
        toolCall: { name: 'transfer_call', arguments: { department: 'sales' } },
        afterTool: { text: 'Transferring you to sales now.' },
      },
    },
  ],
};

let sim: QwenSimulator;
let client: RawClient;
beforeEach(async () => {
  // The documented one-burst tool call; live-tool-call.test.ts covers the live timing.
  sim = await startQwenSimulator({ fidelity: 'documented', script, timing: { speedFactor: 50, firstDeltaDelayMs: 0 } });
  client = await RawClient.connect(sim.url, { model: 'qwen3.5-omni-plus-realtime' });
  await client.next();
  client.send({
    type: 'session.update',
    session: {
      turn_detection: { type: 'server_vad', silence_duration_ms: 400 },
      tools: [
        {
          type: 'function',
          function: {
            name: 'transfer_call',
            description: 'Transfer the caller to a human agent',
            parameters: { type: 'object', properties: { department: { type: 'string' } }, required: ['department'] },
          },
        },
      ],
    },
  });
  expect((await client.next()).type).toBe('session.updated');
});
afterEach(async () => {
  await sim.close();
});

async function callerAsksForSales(): Promise<WireEvent[]> {
  for (const append of appendEvents(concat(callerQuestion16k(), silence(500)))) client.send(append);
  await client.until('conversation.item.input_audio_transcription.completed');
  return client.until('response.done');
}

describe('function calling', () => {
  it('answers with only a function_call item: no audio, arguments as the docs print them', async () => {
    const events = await callerAsksForSales();
    expect(types(events)).toEqual([
      'response.created',
      'response.output_item.added',
      'conversation.item.created',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.done',
    ]);
    const added = events[1]!.item as Record<string, unknown>;
    expect(added).toMatchObject({ type: 'function_call', name: 'transfer_call', arguments: '', status: 'in_progress' });
    expect(added.call_id).toMatch(/^call_/);
    expect(events[2]!.item).toEqual(added);
    const deltas = events.filter((e) => e.type === 'response.function_call_arguments.delta');
    const done = events[6]!;
    expect(done).toMatchObject({ call_id: added.call_id, item_id: added.id, name: 'transfer_call', output_index: 0 });
    expect(done.arguments).toBe(' {"department": "sales"}');
    expect(deltas.map((d) => d.delta).join('')).toBe(done.arguments);
    for (const delta of deltas) expect('name' in delta).toBe(false);
    const response = events[8]!.response as {
      status: string;
      output: unknown[];
      usage: { output_tokens_details: Record<string, number> };
    };
    expect(response.status).toBe('completed');
    expect(response.output).toEqual([{ ...added, status: 'completed', arguments: ' {"department": "sales"}' }]);
    expect(Object.keys(response.usage.output_tokens_details)).toEqual(['text_tokens']);
  });

  it('waits for the output and response.create, then speaks the after-tool reply', async () => {
    const events = await callerAsksForSales();
    const callId = (events[1]!.item as { call_id: string }).call_id;
    // The tool result alone does not start a response.
    const output = '{"status":"transferred"}';
    client.send({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: callId, output } });
    const created = await client.next();
    expect(created.type).toBe('conversation.item.created');
    expect(created.item).toMatchObject({ type: 'function_call_output', call_id: callId, output });
    expect(await client.quietFor(150)).toEqual([]);

    client.send({ type: 'response.create' });
    const answer = await client.until('response.done');
    expect(types(answer)).toContain('response.audio.delta');
    const spoken = answer.find((e) => e.type === 'response.audio_transcript.done')!.transcript;
    expect(spoken).toBe('Transferring you to sales now.');
    expect(sim.sessions[0]!.toolOutputs).toEqual([
      { callId, itemId: (created.item as { id: string }).id, toolName: 'transfer_call', output },
    ]);
  });

  it('keeps the id the client gives the output item, and accepts each call_id only once', async () => {
    const events = await callerAsksForSales();
    const callId = (events[1]!.item as { call_id: string }).call_id;
    const output = { type: 'function_call_output', id: 'item_client_01', call_id: callId, output: 'ok' };
    client.send({ type: 'conversation.item.create', item: output });
    expect(((await client.next()).item as { id: string }).id).toBe('item_client_01');
    client.send({ type: 'conversation.item.create', item: output });
    expect((await client.next()).error).toMatchObject({ code: 'invalid_value', param: 'item.call_id' });
  });
});
