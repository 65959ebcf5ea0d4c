/**
 * A caller stream that sends audio faster than real time, at the call core: what reaches the
 * model and the recording is held to real time, and a stream that keeps it up is closed.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CallAudioTap } from '../../src/call/call.js';
import { buildCall, callerFrame } from '../support/call-harness.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A recording tap that counts what it was given. */
function countingTap(): CallAudioTap & { callerMs: number } {
  return {
    callerMs: 0,
    callerAudio(pcm) {
      this.callerMs += pcm.length / 8;
    },
    agentAudio() {},
    close() {},
  };
}

const appendedMs = (sent: Array<{ type: string; samples?: number }>): number =>
  sent.reduce((sum, s) => sum + (s.type === 'append' ? (s.samples ?? 0) / 16 : 0), 0);

describe('a caller stream faster than real time', () => {
  it('reaches the model and the recording at real time plus the allowance; the rest is dropped and counted', async () => {
    const tap = countingTap();
    const { call, ai, leg, records } = buildCall({ audioTap: tap, settings: { realtimeBudget: { burstMs: 1_000, overrunCloseMs: 5_000 } } });
    await call.start();
    // 3 s of wall time, 1 s of audio every 10 ms (100x real time).
    for (let t = 0; t < 3_000; t += 10) {
      vi.advanceTimersByTime(10);
      call.onMedia({ type: 'audio', pcm: new Int16Array(8_000) });
    }
    expect(call.state).toBe('active');
    expect(appendedMs(ai.last.sent)).toBeLessThanOrEqual(4_000);
    expect(appendedMs(ai.last.sent)).toBeGreaterThanOrEqual(3_000);
    expect(tap.callerMs).toBeLessThanOrEqual(4_000);
    await call.close('caller_hangup');
    expect(leg.closedWith).toBe('caller_hangup');
    const stats = records[0]!.stats;
    expect(stats.uplinkFrames).toBe(300);
    expect(stats.uplinkOverBudgetMs).toBeGreaterThanOrEqual(296_000);
  });

  it('is closed as media_overrun once it has kept it up for overrunCloseMs', async () => {
    const { call, ai, leg, records } = buildCall({ settings: { realtimeBudget: { burstMs: 1_000, overrunCloseMs: 3_000 } } });
    await call.start();
    let wallMs = 0;
    while (call.state === 'active' && wallMs < 10_000) {
      vi.advanceTimersByTime(10);
      wallMs += 10;
      call.onMedia({ type: 'audio', pcm: new Int16Array(8_000) });
    }
    expect(call.state).toBe('ended');
    expect(wallMs).toBeGreaterThanOrEqual(3_000);
    expect(wallMs).toBeLessThanOrEqual(3_010);
    expect(leg.closedWith).toBe('media_overrun');
    expect(appendedMs(ai.last.sent)).toBeLessThanOrEqual(wallMs + 1_000);
    const record = records[0]!;
    expect(record.endReason).toBe('media_overrun');
    expect(record.endDetail).toMatch(/twice real time/);
  });

  it('a stream at real time loses nothing', async () => {
    const { call, ai, records } = buildCall();
    await call.start();
    for (let i = 0; i < 3_000; i += 1) {
      vi.advanceTimersByTime(20);
      call.onMedia({ type: 'audio', pcm: callerFrame() });
    }
    expect(appendedMs(ai.last.sent)).toBe(60_000);
    await call.close('caller_hangup');
    expect(records[0]!.stats.uplinkOverBudgetMs).toBe(0);
  });
});
