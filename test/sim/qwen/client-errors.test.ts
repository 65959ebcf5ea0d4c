import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startQwenSimulator, type QwenSimulator } from '../../../src/sim/qwen/index.js';
import { RawClient } from './raw-client.js';

let sim: QwenSimulator;
let client: RawClient;
beforeEach(async () => {
  // Documented error shapes (string codes and params); live.test.ts covers the live ones.
  sim = await startQwenSimulator({ fidelity: 'documented', timing: { speedFactor: 20, firstDeltaDelayMs: 0 } });
  client = await RawClient.connect(sim.url);
  expect((await client.next()).type).toBe('session.created');
});
afterEach(async () => {
  await sim.close();
});

function errorShape(code: string, param: string) {
  return {
    type: 'error',
    event_id: expect.stringMatching(/^event_/) as unknown,
    error: { type: 'invalid_request_error', code, message: expect.any(String) as unknown, param },
  };
}

describe('errors the client provokes', () => {
  it.each(['session.finish', 'conversation.item.truncate', 'output_audio_buffer.clear', 'conversation.item.delete'])(
    'answers the undocumented event %s with an error',
    async (type) => {
      client.send({ type });
      const reply = await client.next();
      expect(reply).toEqual(errorShape('invalid_value', 'type'));
      expect((reply.error as { message: string }).message).toContain(type);
    },
  );

  it('answers response.cancel with nothing in progress with an error', async () => {
    client.send({ type: 'response.cancel' });
    expect(await client.next()).toEqual(errorShape('response_cancel_not_active', ''));
  });

  it('answers a commit of an empty buffer with an error', async () => {
    client.send({ type: 'input_audio_buffer.commit' });
    expect(await client.next()).toEqual(errorShape('input_audio_buffer_commit_empty', ''));
  });

  it('answers text that is not a JSON object with an error', async () => {
    client.sendRaw('hello there');
    expect(await client.next()).toEqual(errorShape('invalid_json', ''));
    client.sendRaw('[1,2,3]');
    expect(await client.next()).toEqual(errorShape('invalid_json', ''));
  });

  it('answers a binary frame with an error', async () => {
    client.sendRaw(Buffer.from([1, 2, 3, 4]), true);
    expect(await client.next()).toEqual(errorShape('invalid_frame', ''));
    expect(sim.sessions[0]!.received[0]).toMatchObject({ type: '(binary)', accepted: false });
  });

  it('accepts only function_call_output items in conversation.item.create', async () => {
    client.send({
      type: 'conversation.item.create',
      item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] },
    });
    const reply = await client.next();
    expect(reply).toEqual(errorShape('invalid_value', 'item.type'));
    expect((reply.error as { message: string }).message).toBe(
      "Invalid value: 'message'. Supported values are: 'function_call_output'.",
    );
  });

  it('rejects a function_call_output for a call that was never made', async () => {
    const item = { type: 'function_call_output', call_id: 'call_nope', output: '{}' };
    client.send({ type: 'conversation.item.create', item });
    expect(await client.next()).toEqual(errorShape('invalid_value', 'item.call_id'));
  });

  it('rejects an append whose audio is not base64', async () => {
    client.send({ type: 'input_audio_buffer.append', audio: 'not base64!' });
    expect(await client.next()).toEqual(errorShape('invalid_value', 'audio'));
  });

  it('keeps the session usable after errors', async () => {
    client.send({ type: 'session.finish' });
    client.sendRaw('{');
    client.send({ type: 'response.cancel' });
    expect((await client.next()).type).toBe('error');
    expect((await client.next()).type).toBe('error');
    expect((await client.next()).type).toBe('error');
    client.send({ type: 'session.update', session: { instructions: 'still here' } });
    expect((await client.next()).type).toBe('session.updated');
    expect(client.isOpen).toBe(true);
  });

  it('refuses a second response.create while one is in progress', async () => {
    client.send({ type: 'response.create' });
    const created = await client.next();
    expect(created.type).toBe('response.created');
    client.send({ type: 'response.create' });
    const events = await client.until('error');
    expect(events.at(-1)).toEqual(errorShape('conversation_already_has_active_response', ''));
    await client.until('response.done');
  });
});
