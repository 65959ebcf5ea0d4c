/**
 * Operations endpoints of a running bridge: Node process metrics on /metrics, and the optional
 * separate ops listener that takes /metrics off the public listener.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startBridge, type Bridge } from '../support/bridge-harness.js';

let bridge: Bridge | undefined;
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
});

describe('ops endpoints', () => {
  it('serves Node process metrics beside the bridge’s own on the public listener by default', async () => {
    bridge = await startBridge();
    const text = await (await fetch(`http://127.0.0.1:${bridge.port}/metrics`)).text();
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_p99_seconds',
      'nodejs_heap_size_used_bytes',
      'bridge_calls_active',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
  });

  it('moves /metrics to the ops listener when ops.port is set; health and readiness stay on both', async () => {
    let opsPort = 0;
    bridge = await startBridge({
      configure: (config) => {
        config.ops = { host: '127.0.0.1', port: 0 };
      },
      onStarted: (started) => {
        opsPort = started.opsPort ?? 0;
      },
    });
    expect(opsPort).toBeGreaterThan(0);
    expect((await fetch(`http://127.0.0.1:${bridge.port}/metrics`)).status).toBe(404);
    const ops = await fetch(`http://127.0.0.1:${opsPort}/metrics`);
    expect(ops.status).toBe(200);
    expect(await ops.text()).toContain('# TYPE process_resident_memory_bytes gauge');
    for (const port of [bridge.port, opsPort]) {
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    }
  });
});
