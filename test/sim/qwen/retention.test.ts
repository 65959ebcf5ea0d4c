/**
 * The simulator stays flat over thousands of sessions: it keeps only the latest ended session
 * records (retainedSessions) and handshake records, and every per-session resource (socket,
 * timers, waiters) goes with the session.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startQwenSimulator, type QwenSimulator } from '../../../src/sim/qwen/index.js';
import { RawClient } from './raw-client.js';

let sim: QwenSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function shortSession(url: string): Promise<void> {
  const client = await RawClient.connect(url);
  await client.next(); // session.created
  client.send({ type: 'response.create' });
  await client.until('response.created');
  client.close();
  await client.closed;
}

async function until(what: string, ready: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function pendingTimers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

describe('session retention', () => {
  it('keeps the last 200 session records over 1,000 short sessions, and no timer of theirs', async () => {
    sim = await startQwenSimulator({ timing: { speedFactor: 50, firstDeltaDelayMs: 0 } });
    const timersBefore = pendingTimers();
    const url = sim.url;
    for (let batch = 0; batch < 50; batch++) {
      await Promise.all(Array.from({ length: 20 }, () => shortSession(url)));
      // Sessions still closing on the server side may briefly sit beyond the cap.
      expect(sim.sessions.length).toBeLessThanOrEqual(200 + 20);
    }
    await until('every session has closed', () => sim!.openSessions === 0);
    expect(sim.acceptedSessions).toBe(1_000);
    expect(sim.sessions).toHaveLength(200);
    expect(sim.handshakes).toHaveLength(200);
    expect(sim.sessions.map((s) => s.number)).toEqual(Array.from({ length: 200 }, (_, i) => 801 + i));
    expect(sim.sessions.every((s) => s.ended?.cause === 'client_closed')).toBe(true);
    // Each session armed its cap, idle-close and response timers; all were cleared with it.
    expect(pendingTimers()).toBeLessThanOrEqual(timersBefore);
    expect((await sim.waitForSession(1_000)).number).toBe(1_000);
    await expect(sim.waitForSession(1)).rejects.toThrow(/no longer retained/);
  });

  it('never forgets a session that is still open', async () => {
    sim = await startQwenSimulator({ retainedSessions: 2 });
    const first = await RawClient.connect(sim.url);
    await first.next();
    for (let i = 0; i < 4; i++) await shortSession(sim.url);
    await until('only the first session is open', () => sim!.openSessions === 1);
    expect(sim.sessions.map((s) => s.number)).toEqual([1, 5]);
    expect(sim.sessions[0]!.ended).toBeUndefined();
  });
});
