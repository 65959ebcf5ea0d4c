import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openAgentDirectory } from '../../src/agent/agent-directory.js';
import { CallRegistry } from '../../src/call/registry.js';
import { agentsFolder, minimalAgent, QWEN35, writeAgentFiles } from '../support/agent-folder.js';
import { TEST_IDENTITY, TEST_SETTINGS } from '../support/call-harness.js';
import { FakeAiConnector } from '../support/fake-ai.js';
import { FakeLeg } from '../support/fake-leg.js';
import { simpleResamplerFactory } from '../support/simple-resampler.js';

const silent = pino({ level: 'silent' });

const OLD = minimalAgent(
  'front',
  '["*"]',
  'voice: Tina\ntransfer:\n  targets:\n    human: "sip:desk@pbx.example"\nkeypad:\n  "0": { action: transfer, target: human }\n',
).replace('Be brief.', 'Old instructions.');
const NEW = minimalAgent('front', '["*"]', 'voice: Ethan\n').replace('Be brief.', 'New instructions.');

function directoryFor(dir: string) {
  return openAgentDirectory(dir, { defaultModel: QWEN35, env: {}, logger: silent });
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('reloading agents', () => {
  it('swaps in the new set, or keeps the old one and says why', () => {
    const dir = agentsFolder({ 'front.yaml': OLD });
    const agents = directoryFor(dir);
    expect(agents.resolve('+1')!.profile.instructions).toBe('Old instructions.');

    writeAgentFiles(dir, { 'front.yaml': NEW, 'sales.yaml': minimalAgent('sales', '["+15550200"]') });
    expect(agents.reload()).toEqual({ ok: true, agents: 2 });
    expect(agents.resolve('+1')!.profile.instructions).toBe('New instructions.');
    expect(agents.resolve('+15550200')!.profile.id).toBe('sales');

    writeAgentFiles(dir, { 'sales.yaml': 'id: sales\nnumbers: ["+15550200"]\ninstructions: x\nvoice: [1]\n' });
    const failed = agents.reload();
    expect(failed.ok).toBe(false);
    expect(!failed.ok && failed.error).toMatch(/sales\.yaml: voice: /);
    expect(agents.agents).toHaveLength(2);
    expect(agents.resolve('+15550200')!.profile.id).toBe('sales'); // the previous set still answers
  });

  it('leaves a live call on the profile and tools it started with', async () => {
    const dir = agentsFolder({ 'front.yaml': OLD });
    const agents = directoryFor(dir);
    const ai = new FakeAiConnector();
    const registry = new CallRegistry({
      resolveAgent: (dialed, now) => agents.resolve(dialed, now),
      maxConcurrentCalls: 10,
      settings: { ...TEST_SETTINGS, mediaTimeoutMs: 600_000 },
      connectAi: ai.connect,
      createResampler: simpleResamplerFactory,
      logger: silent,
      newCallId: (() => {
        let n = 0;
        return () => `call-${++n}`;
      })(),
    });
    const oldLeg = new FakeLeg().canTransfer({ ok: true });
    const admitted = await registry.admit(TEST_IDENTITY, oldLeg);
    expect(admitted.accepted).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    const live = registry.list()[0]!;
    expect(live.state).toBe('active');

    writeAgentFiles(dir, { 'front.yaml': NEW });
    expect(agents.reload()).toEqual({ ok: true, agents: 1 });

    // The live call: old profile (as sent to the model), old keypad.
    expect(live.profile.instructions).toBe('Old instructions.');
    expect(ai.sessions[0]!.profile).toMatchObject({ instructions: 'Old instructions.', voice: 'Tina' });
    // A new call: the new profile, whose keypad has no 0.
    const newLeg = new FakeLeg().canTransfer({ ok: true });
    const second = await registry.admit({ ...TEST_IDENTITY, externalId: 'CA2' }, newLeg);
    await vi.advanceTimersByTimeAsync(0);
    expect(ai.sessions[1]!.profile).toMatchObject({ instructions: 'New instructions.', voice: 'Ethan' });
    if (second.accepted) second.onEvent({ type: 'dtmf', digit: '0' });
    if (admitted.accepted) admitted.onEvent({ type: 'dtmf', digit: '0' });
    await vi.advanceTimersByTimeAsync(0);
    expect(newLeg.transfers).toHaveLength(0);
    expect(oldLeg.transfers.map((t) => t.target)).toEqual(['sip:desk@pbx.example']);
    await registry.hangupAll('shutdown');
  });

  it('resolves the business-hours variant at admission time', () => {
    const hours = 'businessHours:\n  timeZone: UTC\n  weekly: { mon: ["09:00-17:00"] }\nafterHours:\n  agent: night\n';
    const dir = agentsFolder({ 'day.yaml': minimalAgent('day', '["*"]', hours), 'night.yaml': minimalAgent('night', '[]') });
    const agents = directoryFor(dir);
    expect(agents.resolve('+1', new Date('2026-07-06T10:00:00Z'))!.profile.id).toBe('day');
    expect(agents.resolve('+1', new Date('2026-07-06T18:00:00Z'))!.profile.id).toBe('night');
    vi.setSystemTime(new Date('2026-07-06T18:00:00Z'));
    expect(agents.resolve('+1')!.profile.id).toBe('night');
  });
});
