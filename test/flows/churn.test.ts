/**
 * Many short calls, some ending from each side: afterwards nothing is left behind — no live
 * call, no socket, no timer.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { waitForAgentAudio, silence } from '../../src/sim/caller/index.js';
import { startBridge, type Bridge } from '../support/bridge-harness.js';

let bridge: Bridge | undefined;
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
});

function handles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

/** Sockets close asynchronously after both close frames; give them up to 2 s to go. */
async function settle(target: Record<string, number> = {}): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const now = handles();
    if ((now.TCPSocketWrap ?? 0) <= (target.TCPSocketWrap ?? 0) && (now.Timeout ?? 0) <= (target.Timeout ?? 0) + 1) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('call churn', () => {
  it('leaves no call, socket or timer behind after 40 short calls', async () => {
    bridge = await startBridge({ env: { MAX_CONCURRENT_CALLS: '10' } });
    await settle();
    const before = handles();
    const rounds = 5;
    const concurrent = 8;
    for (let round = 0; round < rounds; round++) {
      await Promise.all(
        Array.from({ length: concurrent }, async (_, i) => {
          const caller = await bridge!.caller();
          // Half hang up as soon as they hear the agent, half stay a moment longer.
          await caller.run(i % 2 === 0 ? [waitForAgentAudio()] : [waitForAgentAudio(), silence(150)]);
        }),
      );
    }
    await bridge.ended(rounds * concurrent);
    expect(bridge.records.map((r) => r.endReason).every((reason) => reason === 'caller_hangup')).toBe(true);
    expect(bridge.app.calls.size).toBe(0);
    // Every model session the simulator accepted has been closed by the bridge.
    expect(bridge.sim.sessions).toHaveLength(rounds * concurrent);
    await settle(before);
    const after = handles();
    expect(after.TCPSocketWrap ?? 0).toBeLessThanOrEqual(before.TCPSocketWrap ?? 0);
    expect(after.Timeout ?? 0).toBeLessThanOrEqual((before.Timeout ?? 0) + 1);
  }, 60_000);
});
