import { afterEach, describe, expect, it } from 'vitest';
import { startQwenSimulator, type QwenSimulator } from '../../../src/sim/qwen/index.js';
import { RawClient, upgradeStatus } from './raw-client.js';

let sim: QwenSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe('connecting', () => {
  it('listens on 127.0.0.1 at the documented path', async () => {
    sim = await startQwenSimulator();
    expect(sim.url).toBe(`ws://127.0.0.1:${sim.port}/api-ws/v1/realtime`);
    expect(sim.port).toBeGreaterThan(0);
  });

  it('refuses a missing or malformed Authorization header with HTTP 401 before the upgrade', async () => {
    sim = await startQwenSimulator();
    expect((await upgradeStatus(sim.url, { apiKey: null })).status).toBe(401);
    expect((await upgradeStatus(sim.url, { apiKey: null, headers: { Authorization: 'Basic abc' } })).status).toBe(401);
    expect((await upgradeStatus(sim.url, { apiKey: null, headers: { Authorization: 'Bearer ' } })).status).toBe(401);
    expect(sim.sessions).toHaveLength(0);
  });

  it('accepts any non-empty key when no apiKey is configured, and only the configured one otherwise', async () => {
    sim = await startQwenSimulator({ apiKey: 'sk-right' });
    const wrong = await upgradeStatus(sim.url, { apiKey: 'sk-wrong' });
    expect(wrong.status).toBe(401);
    expect(JSON.parse(wrong.body)).toMatchObject({ code: 'InvalidApiKey' });
    expect((await upgradeStatus(sim.url, { apiKey: 'sk-right' })).status).toBe(101);
    await sim.close();
    sim = await startQwenSimulator();
    expect((await upgradeStatus(sim.url, { apiKey: 'anything' })).status).toBe(101);
  });

  it('requires ?model= (HTTP 400) and the realtime path (HTTP 404)', async () => {
    sim = await startQwenSimulator();
    expect((await upgradeStatus(sim.url, { model: null })).status).toBe(400);
    expect((await upgradeStatus(sim.url, { model: '' })).status).toBe(400);
    expect((await upgradeStatus(sim.url.replace('/realtime', '/other'))).status).toBe(404);
  });

  it.each([401, 403, 429, 500] as const)('answers the upgrade with an injected HTTP %i', async (status) => {
    sim = await startQwenSimulator({ faults: { handshake: { status } } });
    expect((await upgradeStatus(sim.url)).status).toBe(status);
    expect(sim.handshakes.map((h) => h.status)).toEqual([status]);
  });

  it('can refuse only the first attempts, so a client that retries gets through', async () => {
    sim = await startQwenSimulator({ faults: { handshake: { status: 429, attempts: 2 } } });
    expect((await upgradeStatus(sim.url)).status).toBe(429);
    expect((await upgradeStatus(sim.url)).status).toBe(429);
    expect((await upgradeStatus(sim.url)).status).toBe(101);
    expect(sim.handshakes.map((h) => h.status)).toEqual([429, 429, 101]);
  });
});

describe('session.created', () => {
  it('is the first event, with the qwen3.5 defaults and fresh ids', async () => {
    sim = await startQwenSimulator();
    const client = await RawClient.connect(sim.url, {
      model: 'qwen3.5-omni-plus-realtime',
      headers: { 'X-DashScope-WorkSpace': 'ws-123' },
    });
    const first = await client.next();
    expect(first.type).toBe('session.created');
    expect(first.event_id).toMatch(/^event_[A-Za-z0-9]+$/);
    expect(first.session).toEqual({
      id: expect.stringMatching(/^sess_[A-Za-z0-9]+$/) as unknown,
      object: 'realtime.session',
      model: 'qwen3.5-omni-plus-realtime',
      modalities: ['text', 'audio'],
      voice: 'Tina',
      input_audio_format: 'pcm',
      output_audio_format: 'pcm',
      input_audio_transcription: { model: 'qwen3-asr-flash-realtime' },
      turn_detection: {
        type: 'server_vad',
        threshold: 0.5,
        prefix_padding_ms: 300,
        silence_duration_ms: 800,
        create_response: true,
        interrupt_response: true,
      },
      tools: [],
      enable_search: false,
      search_options: {},
      temperature: 0.7,
      top_p: 0.8,
      top_k: 20,
      max_tokens: 16_384,
      repetition_penalty: 1.0,
      presence_penalty: 1.5,
      seed: -1,
      max_response_output_tokens: 'inf',
    });
    const session = await sim.waitForSession(1);
    expect(session.workspaceId).toBe('ws-123');
    expect(session.id).toBe((first.session as { id: string }).id);
  });

  it.each([
    ['qwen3-omni-flash-realtime', 'Cherry', 0.9, true],
    ['qwen3-omni-flash-realtime-2025-12-01', 'Cherry', 0.9, true],
    ['qwen-omni-turbo-realtime-latest', 'Chelsie', 1.0, false],
    ['qwen3.8-omni-flash-realtime', 'Tina', 0.7, false],
  ])('uses the family defaults for %s', async (model, voice, temperature, hasSmoothOutput) => {
    sim = await startQwenSimulator();
    const client = await RawClient.connect(sim.url, { model });
    const session = (await client.next()).session as Record<string, unknown>;
    expect(session).toMatchObject({ model, voice, temperature });
    expect('smooth_output' in session).toBe(hasSmoothOutput);
  });

  it('gives every server event a unique event_id', async () => {
    sim = await startQwenSimulator();
    const client = await RawClient.connect(sim.url);
    await client.next();
    for (let i = 0; i < 5; i++) client.send({ type: 'response.cancel' });
    await client.until('error');
    await client.until('error');
    await client.until('error');
    await client.until('error');
    await client.until('error');
    const ids = new Set(client.events.map((e) => e.event_id));
    expect(client.events).toHaveLength(6);
    expect(ids.size).toBe(6);
  });
});
