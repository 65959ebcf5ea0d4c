/**
 * What goes wrong on a real call, through the whole bridge: each fault gets a defined end reason,
 * the caller's stream is closed with that reason, and other calls carry on.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { waitForAgentAudio, silence } from '../../src/sim/caller/index.js';
import { startBridge, type Bridge } from '../support/bridge-harness.js';

let bridge: Bridge | undefined;
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
});

describe('faults on a live call', () => {
  it('a model key the service refuses (401): the caller hears the recorded apology, then the call ends as ai_connect_failed', async () => {
    bridge = await startBridge({ sim: { faults: { handshake: { status: 401 } } } });
    const caller = await bridge.caller();
    const report = await caller.run([waitForAgentAudio(), silence(12_000)]);
    const record = await bridge.ended(1);
    expect(record.endReason).toBe('ai_connect_failed');
    expect(record.endDetail).toMatch(/^auth: /);
    expect(report.endedBy).toBe('bridge');
    expect(report.closeReason).toBe('ai_connect_failed');
    // The shipped recording (config/sounds/model-unavailable.wav) is about 6.4 s long.
    expect(report.agentAudio.heardMs).toBeGreaterThan(6_000);
    expect(record.turns).toEqual([expect.objectContaining({ role: 'agent', text: expect.stringMatching(/^We're sorry/) as string })]);
  }, 20_000);

  it('model error events are logged and counted; the call goes on', async () => {
    bridge = await startBridge({ sim: { faults: { session: { errors: [{ at: { afterMs: 50 } }, { at: { afterMs: 100 } }] } } } });
    const caller = await bridge.caller();
    const report = await caller.run([waitForAgentAudio(), silence(500)]);
    const record = await bridge.ended(1);
    expect(record.endReason).toBe('caller_hangup');
    expect(record.stats.aiErrors).toBeGreaterThanOrEqual(2);
    expect(report.agentAudio.heardMs).toBeGreaterThan(300);
  });

  it('a malformed frame closes only that stream; a concurrent call is unaffected', async () => {
    bridge = await startBridge();
    const good = await bridge.caller();
    const goodRun = good.run([waitForAgentAudio(), silence(300)]);

    const bad = new WebSocket(bridge.forkUrl());
    await new Promise((resolve) => bad.once('open', resolve));
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      bad.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    bad.send('{"event":"start", this is not json');
    const { code, reason } = await closed;
    expect(code).toBe(1007);
    expect(reason).toMatch(/json/i);

    const report = await goodRun;
    expect(report.firstAgentAudioHeardMs).toBeDefined();
    expect((await bridge.ended(1)).endReason).toBe('caller_hangup');
    expect(bridge.records).toHaveLength(1);
  });

  it('refuses a stream beyond the concurrency limit with 4403 "capacity"; no call state exists for it', async () => {
    bridge = await startBridge({ env: { MAX_CONCURRENT_CALLS: '1' } });
    const first = await bridge.caller();
    const firstRun = first.run([waitForAgentAudio(), silence(200)]);
    const second = await bridge.caller();
    const refused = await second.run([silence(2_000)]);
    expect(refused.closeCode).toBe(4403);
    expect(refused.closeReason).toBe('capacity');
    await firstRun;
    expect((await bridge.ended(1)).endReason).toBe('caller_hangup');
    expect(bridge.records).toHaveLength(1);
  });

  it('refuses a stream for a number no agent answers with 4403 "unknown_number"', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qpb-flow-agents-'));
    writeFileSync(join(dir, 'sales.yaml'), 'id: sales\nnumbers: ["+15550100"]\ninstructions: Sell.\n');
    const override = join(mkdtempSync(join(tmpdir(), 'qpb-flow-config-')), 'override.yaml');
    writeFileSync(override, `agentsDir: ${dir}\n`);
    bridge = await startBridge({ env: { BRIDGE_CONFIG: override } });
    const stranger = await bridge.caller({ to: '+15559999' });
    const refused = await stranger.run([silence(2_000)]);
    expect(refused.closeCode).toBe(4403);
    expect(refused.closeReason).toBe('unknown_number');
    const known = await bridge.caller({ to: '+1 555 0100' });
    await known.run([silence(300)]);
    expect((await bridge.ended(1)).agentId).toBe('sales');
  });
});
