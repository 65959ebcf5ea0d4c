import { afterEach, describe, expect, it } from 'vitest';
import { startQwenSimulator, type QwenSimulator, type QwenSimulatorOptions } from '../../../src/sim/qwen/index.js';
import { appendEvents, callerQuestion16k, concat, silence } from './caller-audio.js';
import { RawClient, types } from './raw-client.js';

const FAST = { speedFactor: 20, firstDeltaDelayMs: 0 };

let sim: QwenSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function connect(options: QwenSimulatorOptions, model?: string): Promise<RawClient> {
  // Documented error shapes; live.test.ts covers live mode.
  sim ??= await startQwenSimulator({ fidelity: 'documented', timing: FAST, ...options });
  const client = await RawClient.connect(sim.url, { model });
  expect((await client.next()).type).toBe('session.created');
  return client;
}

describe('session cap', () => {
  it('closes the socket at the cap with no warning event', async () => {
    const openedAt = Date.now();
    const client = await connect({ sessionCapMs: 300 });
    const { code } = await client.closed;
    expect(Date.now() - openedAt).toBeGreaterThanOrEqual(280);
    expect(code).toBe(1000);
    expect(types(client.events)).toEqual(['session.created']);
    expect(sim!.sessions[0]!.ended).toEqual({ cause: 'session_cap', code: 1000 });
  });

  it('cuts a response off mid-stream, and sends nothing after the close', async () => {
    const client = await connect({
      sessionCapMs: 250,
      sessionCapCloseCode: 4000,
      timing: { speedFactor: 1, firstDeltaDelayMs: 0 },
    });
    client.send({ type: 'response.create' });
    const { code } = await client.closed;
    expect(code).toBe(4000);
    expect(types(client.events)).not.toContain('response.done');
    expect(types(client.events)).toContain('response.audio.delta');
  });
});

describe('fault injection', () => {
  it('drops the socket without a close frame after N audio deltas of the k-th response', async () => {
    const client = await connect({
      timing: { speedFactor: 4, firstDeltaDelayMs: 0 },
      faults: { session: { disconnect: { at: { afterAudioDeltas: 3, ofResponse: 2 } } } },
    });
    client.send({ type: 'response.create' });
    await client.until('response.done');
    client.send({ type: 'response.create' });
    const { code } = await client.closed;
    expect(code).toBe(1006);
    const second = client.events.slice(client.events.findIndex((e) => e.type === 'response.done') + 1);
    expect(second.filter((e) => e.type === 'response.audio.delta')).toHaveLength(3);
    expect(types(second)).not.toContain('response.done');
    expect(sim!.sessions[0]!.ended).toEqual({ cause: 'fault', code: 1006 });
  });

  it('can fault one session only, so a reconnect works', async () => {
    sim = await startQwenSimulator({
      timing: FAST,
      faults: {
        session: (n) => (n === 1 ? { disconnect: { at: { afterMs: 50 }, mode: 'close', closeCode: 1011 } } : undefined),
      },
    });
    const first = await connect({});
    expect((await first.closed).code).toBe(1011);
    const second = await connect({});
    expect(await second.quietFor(150)).toEqual([]);
    expect(second.isOpen).toBe(true);
  });

  it('emits an error event when told to, and the session carries on', async () => {
    const client = await connect({
      faults: {
        session: {
          errors: [
            { at: { afterClientEvent: 'session.update' }, error: { code: 'rate_limit_exceeded', message: 'slow down' } },
          ],
        },
      },
    });
    client.send({ type: 'session.update', session: {} });
    expect((await client.next()).type).toBe('session.updated');
    expect(await client.next()).toMatchObject({
      type: 'error',
      error: { type: 'server_error', code: 'rate_limit_exceeded', message: 'slow down', param: '' },
    });
    client.send({ type: 'session.update', session: {} });
    expect((await client.next()).type).toBe('session.updated');
    expect(await client.quietFor(100)).toEqual([]);
  });

  it('emits an error in the middle of a response without ending it', async () => {
    const client = await connect({ faults: { session: { errors: [{ at: { afterAudioDeltas: 2, ofResponse: 1 } }] } } });
    client.send({ type: 'response.create' });
    const events = await client.until('response.done');
    const errorAt = types(events).indexOf('error');
    expect(types(events.slice(0, errorAt)).filter((t) => t === 'response.audio.delta')).toHaveLength(2);
    expect(types(events.slice(errorAt))).toContain('response.audio.delta');
    expect((events.at(-1)!.response as { status: string }).status).toBe('completed');
  });

  it('holds session.updated back when asked to', async () => {
    const client = await connect({ faults: { session: { sessionUpdatedDelayMs: 250 } } });
    const sentAt = Date.now();
    client.send({ type: 'session.update', session: { voice: 'Ethan' } });
    await client.next(1_000);
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(240);
  });

  it('can deliver the caller transcript late, after the response has started', async () => {
    const client = await connect({ faults: { session: { transcription: { mode: 'late', delayMs: 150 } } } });
    client.send({ type: 'session.update', session: { turn_detection: { silence_duration_ms: 400 } } });
    await client.next();
    for (const append of appendEvents(concat(callerQuestion16k(), silence(500)))) client.send(append);
    const events = await client.until('conversation.item.input_audio_transcription.completed');
    const seq = types(events);
    expect(seq.indexOf('response.created')).toBeGreaterThan(-1);
    expect(seq.indexOf('response.audio.delta')).toBeLessThan(seq.length - 1);
  });

  it('can fail the caller transcription instead', async () => {
    const client = await connect({ faults: { session: { transcription: { mode: 'failed' } } } });
    client.send({ type: 'session.update', session: { turn_detection: { silence_duration_ms: 400 } } });
    await client.next();
    for (const append of appendEvents(concat(callerQuestion16k(), silence(500)))) client.send(append);
    const events = await client.until('response.created');
    const failed = events.find((e) => e.type === 'conversation.item.input_audio_transcription.failed')!;
    expect(failed).toMatchObject({ content_index: 0, error: { code: 'transcription_failed' } });
    expect(types(events).filter((t) => t.startsWith('conversation.item.input_audio_transcription.'))).toEqual([
      'conversation.item.input_audio_transcription.failed',
    ]);
  });
});

describe('idle_timeout_ms', () => {
  const script = { greeting: { text: 'Hi.' }, idleReprompt: { text: 'Are you still there?' } };

  it('re-prompts a silent caller after the greeting has played (qwen3.5, server_vad)', async () => {
    const client = await connect({ script, idleTimeoutOverrideMs: 100 }, 'qwen3.5-omni-flash-realtime');
    client.send({ type: 'session.update', session: { turn_detection: { type: 'server_vad', idle_timeout_ms: 5_000 } } });
    await client.next();
    client.send({ type: 'response.create' });
    await client.until('response.done');
    const reprompt = await client.until('response.done', 2_000);
    expect(reprompt.find((e) => e.type === 'response.audio_transcript.done')!.transcript).toBe('Are you still there?');
    expect(sim!.sessions[0]!.responses.map((r) => r.source)).toEqual(['greeting', 'idle_reprompt']);
  });

  it('stays quiet without idle_timeout_ms', async () => {
    const client = await connect({ script, idleTimeoutOverrideMs: 100 }, 'qwen3.5-omni-flash-realtime');
    client.send({ type: 'response.create' });
    await client.until('response.done');
    expect(await client.quietFor(800)).toEqual([]);
  });
});
