/**
 * Hostile traffic at the door of a running bridge, beside a healthy call: token guesses and
 * connections that authenticate and never start. Each is refused or closed with its code, counted
 * in /metrics, and the healthy call loses no audio.
 */
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { PacedCaller } from '../../src/bench/flood-streams.js';
import { startBridge, type Bridge } from '../support/bridge-harness.js';

let bridge: Bridge | undefined;
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
});

async function metrics(b: Bridge): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${b.port}/metrics`);
  return res.text();
}

function closeCodeOf(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => {
    ws.once('close', (code) => resolve(code));
    ws.once('error', () => undefined);
  });
}

describe('hostile admission beside a healthy call', () => {
  it('guesses are refused, limited and counted; 300 never-starting connections all close with 4408', async () => {
    bridge = await startBridge({
      configure: (config) => {
        config.media.startTimeoutMs = 1_000;
        config.media.authFailureBurst = 5;
      },
    });
    const healthy = await PacedCaller.connect(bridge.forkUrl(), 'MZhealthy');
    const base = `ws://127.0.0.1:${bridge.port}/media/twilio`;

    const statuses: number[] = [];
    for (let i = 0; i < 8; i += 1) {
      statuses.push(
        await new Promise<number>((resolve) => {
          // From another loopback address: the limit is per source, and the callers below use 127.0.0.1.
          const ws = new WebSocket(`${base}?access_token=guess-${i}`, { localAddress: '127.0.0.2' });
          ws.once('unexpected-response', (_req, res) => {
            resolve(res.statusCode ?? 0);
            ws.terminate();
          });
          ws.once('error', () => undefined);
        }),
      );
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);

    const idle = Array.from({ length: 300 }, () => new WebSocket(bridge!.forkUrl(), { perMessageDeflate: false }));
    const codes = await Promise.all(idle.map(closeCodeOf));
    expect(codes.every((code) => code === 4408)).toBe(true);

    const sentMs = healthy.framesSent * 20;
    await healthy.hangup();
    const record = await bridge.ended(1);
    expect(record.endReason).toBe('caller_hangup');
    expect(record.stats.uplinkOverBudgetMs).toBe(0);
    // Everything after the model session was ready reached it (less one unsent append batch).
    const afterReadyMs = (record.stats.uplinkFrames - record.stats.uplinkFramesDropped) * 20;
    expect(afterReadyMs).toBeGreaterThan(sentMs / 4);
    expect(bridge.sim.sessions[0]!.appendedAudioMs).toBeGreaterThanOrEqual(afterReadyMs - 100);

    const text = await metrics(bridge);
    expect(text).toContain('bridge_media_auth_failures_total{reason="missing_credentials"} 5');
    expect(text).toContain('bridge_media_refused_total{reason="rate_limited"} 3');
    expect(text).toContain('bridge_media_refused_total{reason="start_timeout"} 300');
  });
});
