/**
 * The start-up model check: a key the service refuses is visible on /readyz before any call.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startBridge, type Bridge } from '../support/bridge-harness.js';

let bridge: Bridge | undefined;
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
});

async function readyz(b: Bridge): Promise<{ status: number; body: { status: string; failing?: string[] } }> {
  const res = await fetch(`http://127.0.0.1:${b.port}/readyz`);
  return { status: res.status, body: (await res.json()) as { status: string; failing?: string[] } };
}

describe('start-up model check', () => {
  it('a refused key makes /readyz 503 with the reason, before the first call', async () => {
    bridge = await startBridge({ sim: { faults: { handshake: { status: 401 } } } });
    expect((await readyz(bridge)).status).toBe(200); // not checked yet: not held back

    expect(await bridge.app.checkModel()).toBe(false);

    const { status, body } = await readyz(bridge);
    expect(status).toBe(503);
    expect(body.failing).toEqual([expect.stringMatching(/^model check failed: singapore\/qwen3\.5-omni-flash-realtime: auth: Qwen refused the API key/)]);
    expect(bridge.records).toEqual([]);
  });

  it('a working key passes, opens one session per region and model, and leaves none open', async () => {
    bridge = await startBridge();
    expect(await bridge.app.checkModel()).toBe(true);
    expect((await readyz(bridge)).status).toBe(200);
    const session = bridge.sim.sessions[0]!;
    await session.waitForEnd({ timeoutMs: 5_000 });
    expect(bridge.sim.sessions).toHaveLength(1);
    expect(session.responses).toEqual([]);
  });
});
