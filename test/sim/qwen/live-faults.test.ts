/**
 * Live-mode session ends and greeting failures: the idle close (S-5), the greeting faults (S-9,
 * finding #5) and one answer split across two responses (S-10).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { KEEP_ALIVE } from '../../../src/models/qwen-capabilities.js';
import { startQwenSimulator, type QwenSimulator, type QwenSimulatorOptions } from '../../../src/sim/qwen/index.js';
import { resolveOptions } from '../../../src/sim/qwen/options.js';
import { appendEvents, silence } from './caller-audio.js';
import { RawClient, types } from './raw-client.js';

const FAST = { speedFactor: 50, firstDeltaDelayMs: 0 };

let sim: QwenSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function open(options: QwenSimulatorOptions): Promise<RawClient> {
  sim = await startQwenSimulator({ timing: FAST, ...options });
  const client = await RawClient.connect(sim.url);
  expect((await client.next()).type).toBe('session.created');
  return client;
}

describe('idle close (S-5)', () => {
  it('sends an error, then closes with 1011, when no client event arrives for idleCloseMs', async () => {
    const openedAt = Date.now();
    const client = await open({ idleCloseMs: 300 });
    const { code } = await client.closed;
    expect(code).toBe(1011);
    expect(Date.now() - openedAt).toBeGreaterThanOrEqual(280);
    expect(types(client.events)).toEqual(['session.created', 'error']);
    const error = client.events[1]!.error as { code: number; status: number; message: string };
    expect(error).toMatchObject({ code: 500, status: 500 });
    expect(error.message).toMatch(/too long without operation/);
    expect(sim!.sessions[0]!.ended).toEqual({ cause: 'idle_timeout', code: 1011 });
  });

  it('counts appends of silence as activity, so a keep-alive holds the session open', async () => {
    const client = await open({ idleCloseMs: 500 });
    const keepAlive = appendEvents(silence(100))[0]!;
    // 1.2 s of keep-alives every 100 ms: more than two idle periods, and the session is still up.
    for (let i = 0; i < 12; i++) {
      client.send(keepAlive);
      await client.quietFor(100);
    }
    expect(client.isOpen).toBe(true);
    expect(types(client.events)).toEqual(['session.created']);
    // Then silence from the client: the close follows.
    expect((await client.closed).code).toBe(1011);
    expect(sim!.sessions[0]!.received.filter((r) => r.type === 'input_audio_buffer.append')).toHaveLength(12);
  });

  it('defaults to the shared KEEP_ALIVE figure in live mode, and is off in documented mode', async () => {
    expect(resolveOptions({}).idleCloseMs).toBe(KEEP_ALIVE.serviceIdleCloseMs);
    expect(resolveOptions({ fidelity: 'documented' }).idleCloseMs).toBe(0);
    // The client's keep-alive interval must beat the close it guards against.
    expect(KEEP_ALIVE.intervalMs).toBeLessThan(KEEP_ALIVE.serviceIdleCloseMs);
    const client = await open({ fidelity: 'documented' });
    expect(await client.quietFor(400)).toEqual([]);
    expect(client.isOpen).toBe(true);
  });
});

describe('greeting faults (S-9)', () => {
  it('error: an error event instead of response.created; a retry then gets the greeting', async () => {
    const client = await open({ faults: { session: { greeting: 'error' } } });
    client.send({ type: 'response.create', response: { instructions: 'Greet the caller.' } });
    const refused = await client.next();
    expect(refused.error).toMatchObject({ type: 'server_error', code: 'COMMON_ERROR', status: 500 });
    expect(await client.quietFor(100)).toEqual([]);
    client.send({ type: 'response.create', response: { instructions: 'Greet the caller.' } });
    const greeting = await client.until('response.done');
    expect(greeting.find((e) => e.type === 'response.audio_transcript.done')!.transcript).toBe('Acme support, how can I help?');
  });

  it('failed: response.created, then response.done failed with status_details and no audio', async () => {
    const client = await open({ faults: { session: { greeting: 'failed' } } });
    client.send({ type: 'response.create' });
    const events = await client.until('response.done');
    expect(types(events)).toEqual(['response.created', 'response.done']);
    expect(events[1]!.response).toMatchObject({
      status: 'failed',
      output: [],
      status_details: { type: 'failed', error: { code: 'COMMON_ERROR', message: expect.any(String) as unknown } },
    });
    // Only the first response is affected.
    client.send({ type: 'response.create' });
    expect(types(await client.until('response.done'))).toContain('response.audio.delta');
  });

  it('close: the socket closes with 1011 as soon as the response.create arrives', async () => {
    const client = await open({ faults: { session: { greeting: 'close' } } });
    client.send({ type: 'response.create' });
    expect((await client.closed).code).toBe(1011);
    expect(types(client.events)).toEqual(['session.created']);
    expect(sim!.sessions[0]!.ended).toEqual({ cause: 'fault', code: 1011 });
  });
});

describe('split response (S-10)', () => {
  it('continues one answer in a second response.created that no response.create asked for', async () => {
    const greeting = 'Hello and welcome to the Acme support line, where every call is answered by a friendly voice.';
    const client = await open({
      script: { greeting: { text: greeting } },
      timing: { speedFactor: 20, firstDeltaDelayMs: 0 },
      faults: { session: { splitResponse: { ofResponse: 1, afterAudioDeltas: 5 } } },
    });
    client.send({ type: 'response.create' });
    const first = await client.until('response.done');
    const second = await client.until('response.done');
    expect(types(first).filter((t) => t === 'response.audio.delta')).toHaveLength(5);
    expect(types(second)[0]).toBe('response.created');
    expect(types(second)).toContain('response.audio.delta');
    const ids = [first, second].map((events) => (events.at(-1)!.response as { id: string }).id);
    expect(new Set(ids).size).toBe(2);
    const said = [first, second].map((events) => events.find((e) => e.type === 'response.audio_transcript.done')!.transcript as string);
    expect(`${said[0]} ${said[1]}`.replace(/\s+/g, ' ')).toBe(greeting);
    expect(sim!.sessions[0]!.received.filter((r) => r.type === 'response.create')).toHaveLength(1);
  });
});

describe('live-mode options', () => {
  it('refuse values that would silently do nothing', async () => {
    await expect(startQwenSimulator({ fidelity: 'exact' as never })).rejects.toThrow(/fidelity/);
    await expect(startQwenSimulator({ idleCloseMs: -1 })).rejects.toThrow(/idleCloseMs/);
    await expect(startQwenSimulator({ retainedSessions: 0 })).rejects.toThrow(/retainedSessions/);
    await expect(startQwenSimulator({ faults: { session: { greeting: 'slow' as never } } })).rejects.toThrow(/greeting/);
    const emptyCalls = { turns: [{ callerTranscript: 'x', reply: { toolCall: [], afterTool: { text: 'y' } } }] };
    await expect(startQwenSimulator({ script: emptyCalls })).rejects.toThrow(/toolCall list/);
    await expect(startQwenSimulator({ timing: { toolCallDoneDelayMs: -5 } })).rejects.toThrow(/toolCallDoneDelayMs/);
  });
});
