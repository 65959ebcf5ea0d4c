/**
 * `npm run call`'s engine against a running bridge on 127.0.0.1 (the Qwen simulator behind it):
 * one call (audio-fork dialect; the Twilio dialect shares the code), what was heard, the latencies, and the bridge's own transcript
 * through the call-records API.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { heardSegments } from '../../src/sim/heard-segments.js';
import { placeTestCall } from '../../src/sim/test-call.js';
import { startBridge, type Bridge } from '../support/bridge-harness.js';

let bridge: Bridge | undefined;
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
});

describe('test call into a running bridge', () => {
  it('places a call, hears greeting and reply, and reads the bridge transcript', async () => {
    const path = '/media/audio-fork';
    bridge = await startBridge({ env: { BRIDGE_ADMIN_TOKEN: 'admin-for-test' } });
    const result = await placeTestCall({
      url: `ws://127.0.0.1:${bridge.port}${path}`,
      to: '+15550100',
      token: bridge.config.secrets.mediaToken!,
      adminToken: 'admin-for-test',
      waitMs: 10_000,
    });
    expect(result.report.endedBy).toBe('caller');
    expect(result.report.steps.every((step) => step.ok)).toBe(true);
    expect(result.heard.length).toBeGreaterThanOrEqual(2); // the greeting, then the answer
    expect(result.greetingMs).toBeGreaterThan(0);
    expect(result.replyMs).toBeGreaterThan(0);
    expect(result.bridgeRecord?.endReason).toBe('caller_hangup');
    expect(result.bridgeRecord?.turns.map((turn) => turn.role)).toEqual(['agent', 'caller', 'agent']);
  }, 30_000);
});

describe('heardSegments', () => {
  it('finds talk between silences and joins short pauses', () => {
    const rate = 8000;
    const pcm = new Int16Array(rate * 3);
    const tone = (fromMs: number, toMs: number) => {
      for (let i = (fromMs * rate) / 1000; i < (toMs * rate) / 1000; i++) pcm[i] = Math.round(3000 * Math.sin(i / 3));
    };
    tone(200, 800);
    tone(1000, 1200); // 200 ms pause: same utterance
    tone(2000, 2400); // 800 ms pause: a new one
    expect(heardSegments(pcm, rate)).toEqual([
      { startMs: 200, endMs: 1200 },
      { startMs: 2000, endMs: 2400 },
    ]);
  });
});
