/**
 * The bridge against the simulator's live-like mode: what the real service does that its docs do
 * not say (field findings #1–#7), through the whole bridge on 127.0.0.1 where a caller is needed,
 * and through the real client where the loader would already have stopped the mistake.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import WebSocket from 'ws';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createQwenConnector } from '../../src/ai/qwen-session.js';
import { createResamplerFactory } from '../../src/audio/resampler-factory.js';
import { Call } from '../../src/call/call.js';
import type { CallRecord } from '../../src/call/call-record.js';
import { say, silence, waitForAgentAudio, waitForAgentSilence } from '../../src/sim/caller/index.js';
import { startQwenSimulator, type QwenSimulator } from '../../src/sim/qwen/server.js';
import { agentsFolder } from '../support/agent-folder.js';
import { startBridge, type Bridge } from '../support/bridge-harness.js';
import { TEST_IDENTITY, TEST_SETTINGS, testProfile } from '../support/call-harness.js';
import { FakeLeg } from '../support/fake-leg.js';
import { captureLogger } from '../ai/support/qwen-harness.js';

let bridge: Bridge | undefined;
let sim: QwenSimulator | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await bridge?.close();
  await sim?.close();
  bridge = undefined;
  sim = undefined;
});

const GREETING_WAV = join(import.meta.dirname, '../../config/agents/greeting.wav');

function agentWithFallback(extra = ''): string {
  const dir = agentsFolder({
    'front.yaml': `
id: front
numbers: ["*"]
instructions: Help the caller.
greeting:
  mode: model
  instructions: Greet the caller.
  fallback: { path: greeting.wav, transcript: "Thanks for calling Acme." }
${extra}`,
  });
  copyFileSync(GREETING_WAV, join(dir, 'greeting.wav'));
  return dir;
}

describe('the live-like service, through the whole bridge', () => {
  it.for(['failed', 'error', 'close'] as const)('a greeting that comes back %s is replaced by the recorded fallback, the first thing the caller hears', async (mode, { annotate }) => {
    const dir = agentWithFallback();
    bridge = await startBridge({
      sim: { faults: { session: (n) => (n === 1 ? { greeting: mode } : undefined) } },
      configure: (config) => {
        config.agentsPath = dir;
      },
    });
    const caller = await bridge.caller();
    const report = await caller.run([waitForAgentAudio(), waitForAgentSilence(400)]);
    const record = await bridge.ended(1);

    expect(report.agentAudio.heardMs).toBeGreaterThan(1_000);
    expect(record.turns[0]).toMatchObject({ role: 'agent', text: 'Thanks for calling Acme.' });
    // Recorded, not generated: nothing of the model's greeting was played before it.
    expect(record.turns.filter((t) => t.role === 'agent')).toHaveLength(1);
    // Measured, not asserted (wall clock): the path from the failure to playout has no timer in it.
    await annotate(`greeting ${mode}: fallback first heard ${report.firstAgentAudioHeardMs ?? '-'} ms into the call`);
    if (mode === 'close') {
      // The dropped session was replaced and the call went on with the new one.
      expect(bridge.sim.sessions).toHaveLength(2);
      expect(record.endReason).toBe('caller_hangup');
    }
  });

  it('tool outputs wait for their response.done: the live service refuses none, and the goodbye plays', async () => {
    const dir = agentsFolder({
      'front.yaml': 'id: front\nnumbers: ["*"]\ninstructions: Help.\ngreeting: { mode: model, instructions: Greet. }\ntools: [end_call]\n',
    });
    bridge = await startBridge({
      sim: {
        script: {
          turns: [
            {
              callerTranscript: 'Goodbye.',
              reply: {
                preamble: { text: 'One moment.' },
                toolCall: { name: 'end_call', arguments: { reason: 'caller said goodbye' } },
                afterTool: { text: 'Thanks for calling, goodbye!' },
              },
            },
          ],
        },
      },
      configure: (config) => {
        config.agentsPath = dir;
      },
    });
    const caller = await bridge.caller();
    await caller.run([waitForAgentAudio(), waitForAgentSilence(300), say('goodbye'), silence(6_000)]);
    const record = await bridge.ended(1);

    expect(record.endReason).toBe('agent_hangup');
    expect(record.turns.at(-1)).toMatchObject({ role: 'agent', text: 'Thanks for calling, goodbye!' });
    const session = bridge.sim.sessions[0]!;
    const refused = session.received.filter((event) => !event.accepted).map((event) => event.type);
    expect(refused).toEqual([]);
  });

  it('qwen3.8 agents keep their tools and use them', async () => {
    const dir = agentsFolder({
      'front.yaml':
        'id: front\nnumbers: ["*"]\nmodel: qwen3.8-omni-flash-realtime\ninstructions: Help.\ngreeting: { mode: model, instructions: Greet. }\ntools: [end_call]\n',
    });
    bridge = await startBridge({
      sim: {
        script: {
          turns: [
            {
              callerTranscript: 'Goodbye.',
              reply: { toolCall: { name: 'end_call', arguments: {} }, afterTool: { text: 'Goodbye!' } },
            },
          ],
        },
      },
      configure: (config) => {
        config.agentsPath = dir;
      },
    });
    const caller = await bridge.caller();
    await caller.run([waitForAgentAudio(), waitForAgentSilence(300), say('goodbye'), silence(6_000)]);
    const record = await bridge.ended(1);

    const session = bridge.sim.sessions[0]!;
    expect(session.model).toBe('qwen3.8-omni-flash-realtime');
    expect(session.config.tools.map((t) => t.function.name)).toEqual(['end_call']);
    expect(record.endReason).toBe('agent_hangup');
  });
});

describe('the live-like service, through the real client', () => {
  function connector(simulator: QwenSimulator, apiKey: string, log = captureLogger()): ReturnType<typeof createQwenConnector> {
    return createQwenConnector({
      url: simulator.url,
      model: 'qwen3.5-omni-flash-realtime',
      apiKey,
      logger: log.logger,
      createSocket: (url, headers) => new WebSocket(url, { headers }),
    });
  }

  it('a voice the model cannot speak (accepted at connect, numeric 400 at the first answer) ends the call as ai_rejected_config instead of leaving it silent', async () => {
    sim = await startQwenSimulator({ apiKey: 'k' });
    const connect = connector(sim, 'k');
    const leg = new FakeLeg();
    const records: CallRecord[] = [];
    // The agent loader refuses this voice; this is what a call would meet if one got through anyway.
    const call = new Call({
      callId: 'c1',
      identity: TEST_IDENTITY,
      profile: testProfile({ voice: 'Cherry' }),
      leg,
      connectAi: connect,
      createResampler: createResamplerFactory('fir'),
      tools: { run: () => Promise.resolve({ output: '{}', then: { action: 'none' } }) },
      settings: TEST_SETTINGS,
      logger: pino({ level: 'silent' }),
      onEnded: (record) => records.push(record),
    });
    await call.start();
    await vi.waitFor(() => expect(records).toHaveLength(1), { timeout: 10_000 });

    expect(records[0]!.endReason).toBe('ai_rejected_config');
    expect(records[0]!.endDetail).toContain("Voice 'Cherry' is not supported");
    expect(records[0]!.stats.aiErrors).toBeGreaterThanOrEqual(1);
    expect(leg.closedWith).toBe('ai_rejected_config');
  });

  it('warns when qwen3-omni-flash drops the tools it was sent (echo tools: null)', async () => {
    sim = await startQwenSimulator({ apiKey: 'k' });
    const log = captureLogger();
    const connect = connector(sim, 'k', log);
    const profile = testProfile({
      model: 'qwen3-omni-flash-realtime',
      voice: 'Cherry',
      tools: [{ name: 'end_call', description: 'End the call.', parameters: { type: 'object', properties: {} } }],
    });
    const session = await connect(profile, () => undefined, { callId: 'c1' });
    expect(log.withMessage('qwen did not take all of the agent configuration')).toMatchObject([
      { differences: ['tools dropped by the service: end_call'] },
    ]);
    session.close();
  });

  it('keeps a held call open through 60 s of silence: the keep-alive beats the idle close (fake timers)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    sim = await startQwenSimulator({ apiKey: 'k', idleCloseMs: 25_000 });
    const connect = createQwenConnector({
      url: sim.url,
      model: 'qwen3.5-omni-flash-realtime',
      apiKey: 'k',
      logger: pino({ level: 'silent' }),
      createSocket: (url, headers) => new WebSocket(url, { headers }),
      keepAliveIntervalMs: 15_000,
      nowMs: () => Date.now(),
    });
    const leg = new FakeLeg();
    const records: CallRecord[] = [];
    const call = new Call({
      callId: 'c1',
      identity: TEST_IDENTITY,
      profile: testProfile({ greeting: { mode: 'none' } }),
      leg,
      connectAi: connect,
      createResampler: createResamplerFactory('fir'),
      tools: { run: () => Promise.resolve({ output: '{}', then: { action: 'none' } }) },
      settings: { ...TEST_SETTINGS, callerSilenceMs: 600_000, mediaTimeoutMs: 600_000 },
      logger: pino({ level: 'silent' }),
      now: () => Date.now(),
      onEnded: (record) => records.push(record),
    });
    const starting = call.start();
    // The handshake runs on real sockets; let its I/O happen.
    await vi.waitFor(async () => {
      await vi.advanceTimersByTimeAsync(10);
      expect(call.state).toBe('active');
    });
    await starting;
    call.onMedia({ type: 'hold', held: true });
    for (let second = 0; second < 60; second++) {
      // Music on hold keeps arriving, and must not reach the model.
      for (let frame = 0; frame < 50; frame++) call.onMedia({ type: 'audio', pcm: new Int16Array(160).fill(3000) });
      await vi.advanceTimersByTimeAsync(1_000);
      // Real I/O between the fake seconds: the keep-alive reaches the simulator before its timer runs.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
    }

    expect(records).toEqual([]);
    expect(call.state).toBe('active');
    const session = sim.sessions[0]!;
    expect(session.ended).toBeUndefined();
    // Only the keep-alive went out during the hold: one second of zeros every 15 s, nothing else.
    expect(session.appendedAudioMs).toBeGreaterThanOrEqual(3_000);
    expect(session.appendedAudioMs).toBeLessThanOrEqual(5_000);
    await call.close('caller_hangup');
  });
});
