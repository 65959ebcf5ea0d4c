/**
 * qwen.maxConcurrentSessions in a single process: seats counted locally, a call beyond the quota
 * refused at admission with 4429 (never connected to a model that would refuse it), counted in
 * /metrics, and the seat free again once a call ends.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { silence, waitForAgentAudio } from '../../src/sim/caller/index.js';
import { startBridge, type Bridge } from '../support/bridge-harness.js';

let bridge: Bridge | undefined;
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
});

describe('the model-session quota in one process', () => {
  it('refuses the call beyond the quota with 4429 "model_quota", counts it, and admits again once a seat is free', async () => {
    bridge = await startBridge({ env: { QWEN_MAX_CONCURRENT_SESSIONS: '1' } });
    const first = await bridge.caller();
    const firstRun = first.run([waitForAgentAudio(), silence(300)]);
    const second = await bridge.caller();
    const refused = await second.run([silence(2_000)]);
    expect(refused).toMatchObject({ endedBy: 'bridge', closeCode: 4429, closeReason: 'model_quota' });
    const metrics = await (await fetch(`http://127.0.0.1:${bridge.port}/metrics`)).text();
    expect(metrics).toContain('bridge_calls_rejected_total{reason="model_quota"} 1');

    await firstRun;
    expect((await bridge.ended(1)).endReason).toBe('caller_hangup');
    const third = await bridge.caller();
    await third.run([waitForAgentAudio(), silence(100)]);
    expect((await bridge.ended(2)).endReason).toBe('caller_hangup');
    // Two calls, two model sessions: the refused one never opened one.
    expect(bridge.sim.sessions).toHaveLength(2);
  });
});
