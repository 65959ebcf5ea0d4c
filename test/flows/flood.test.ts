/**
 * One authenticated stream floods the bridge with audio beside a healthy call, through the whole
 * bridge on 127.0.0.1: the flooder's audio reaches the model at real time plus the allowance, the
 * flooder is closed as media_overrun, and the healthy call loses no audio. Timing (gaps at the
 * healthy caller, CPU) is reported, not asserted: it belongs to `npm run bench:flood`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { flood, PacedCaller } from '../../src/bench/flood-streams.js';
import { synthesizedDurationMs } from '../../src/sim/qwen/speech-audio.js';
import { startBridge, type Bridge } from '../support/bridge-harness.js';

let bridge: Bridge | undefined;
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
});

// A greeting long enough that the agent is still talking to the healthy caller when the flood ends.
const LONG_GREETING = Array.from({ length: 12 }, () => 'Thank you for calling Acme support, every call matters to us.').join(' ');

describe('a stream flooding audio beside a healthy call', () => {
  it('is held to real time and closed; the healthy call keeps all its audio', async ({ annotate }) => {
    expect(synthesizedDurationMs(LONG_GREETING)).toBeGreaterThan(8_000);
    bridge = await startBridge({
      sim: { script: { greeting: { text: LONG_GREETING } } },
      configure: (config) => {
        config.calls.audioBurstMs = 1_000;
        config.calls.audioOverrunCloseMs = 3_000;
      },
    });
    const healthy = await PacedCaller.connect(bridge.forkUrl(), 'MZhealthy');
    const healthySession = await bridge.sim.waitForSession(1);
    // The agent is talking to the healthy caller before the flood starts.
    while (healthy.agentFrameAtMs.length < 10) await new Promise((resolve) => setTimeout(resolve, 20));

    const cpuBefore = process.cpuUsage();
    const floodStartMs = performance.now();
    const result = await flood(bridge.forkUrl(), 'MZflooder', { maxWallMs: 10_000 });
    const floodEndMs = performance.now();
    const cpu = process.cpuUsage(cpuBefore);
    const floodSession = bridge.sim.sessions[1]!;

    // The flood was a real one: at least 100x real time offered.
    expect(result.sentAudioMs / result.wallMs).toBeGreaterThanOrEqual(100);
    // The bridge closed it for that, with the reason.
    expect(result.close).toEqual({ code: 1008, reason: 'media_overrun' });
    // What reached the model from it: at most 1.5x its wall time.
    expect(floodSession.appendedAudioMs).toBeLessThanOrEqual(1.5 * result.wallMs);

    await new Promise((resolve) => setTimeout(resolve, 300));
    const sentByHealthyMs = healthy.framesSent * 20;
    await healthy.hangup();
    const floodRecord = bridge.records.find((r) => r.identity.externalId === 'CAflooder');
    const healthyRecord = await bridge.ended(2);
    expect(floodRecord?.endReason).toBe('media_overrun');
    expect(floodRecord?.stats.uplinkOverBudgetMs).toBeGreaterThan(98 * result.wallMs);
    // The healthy call: nothing of its audio was dropped, all of it reached the model.
    expect(healthyRecord.endReason).toBe('caller_hangup');
    expect(healthyRecord.stats.uplinkOverBudgetMs).toBe(0);
    expect(healthyRecord.stats.uplinkFrames).toBe(healthy.framesSent);
    // Everything after the model session was ready reached it (less one unsent append batch).
    const afterReadyMs = (healthyRecord.stats.uplinkFrames - healthyRecord.stats.uplinkFramesDropped) * 20;
    expect(afterReadyMs).toBeGreaterThan(sentByHealthyMs / 2);
    expect(healthySession.appendedAudioMs).toBeGreaterThanOrEqual(afterReadyMs - 100);

    const gaps = healthy.maxGapMs(floodStartMs, floodEndMs);
    expect(gaps.frames).toBeGreaterThan(0);
    const report = {
      offeredX: +(result.sentAudioMs / result.wallMs).toFixed(0),
      floodWallMs: Math.round(result.wallMs),
      floodToModelMs: Math.round(floodSession.appendedAudioMs),
      healthyMaxGapMs: Math.round(gaps.maxGapMs),
      healthyFramesDuringFlood: gaps.frames,
      processCpuPct: Math.round(((cpu.user + cpu.system) / 1000 / (floodEndMs - floodStartMs)) * 100),
    };
    // Bridge, simulator and both callers share this process: the CPU figure is an upper bound.
    await annotate(`flood beside a healthy call: ${JSON.stringify(report)}`);
  });
});
