import { describe, expect, it } from 'vitest';
import { RealtimeBudget } from '../../src/call/realtime-budget.js';

/** A clock the test moves by hand, and 8 kHz frames of any length. */
function setup(settings = { burstMs: 1_000, overrunCloseMs: 5_000 }) {
  let nowMs = 0;
  const budget = new RealtimeBudget(8_000, settings, () => nowMs);
  let acceptedMs = 0;
  const offer = (ms: number): Int16Array | undefined => {
    const pcm = budget.take(new Int16Array(ms * 8));
    acceptedMs += (pcm?.length ?? 0) / 8;
    return pcm;
  };
  return {
    budget,
    offer,
    advance: (ms: number) => (nowMs += ms),
    get acceptedMs() {
      return acceptedMs;
    },
  };
}

describe('the real-time budget of a caller stream', () => {
  it('lets a stream at real time through whole, jitter included', () => {
    const s = setup();
    // 10 minutes of 20 ms frames arriving in irregular bunches (0-3 frames per 20 ms tick), never ahead of time by more than 60 ms.
    let owed = 0;
    for (let tick = 0; tick < 30_000; tick += 1) {
      s.advance(20);
      owed += 1;
      const send = tick % 7 === 0 ? 0 : Math.min(owed, tick % 3 === 0 ? 3 : 1);
      for (let i = 0; i < send; i += 1) expect(s.offer(20)?.length).toBe(160);
      owed -= send;
    }
    expect(s.budget.droppedMs).toBe(0);
    expect(s.budget.overrun).toBe(false);
  });

  it('takes the backlog of a network stall up to the burst allowance and drops the rest', () => {
    const s = setup();
    for (let i = 0; i < 50; i += 1) {
      s.advance(20);
      s.offer(20);
    }
    s.advance(3_000); // nothing for 3 s, then all of it at once
    for (let i = 0; i < 150; i += 1) s.offer(20);
    expect(s.budget.droppedMs).toBe(2_000);
    expect(s.budget.overrun).toBe(false);
  });

  it('cuts a frame that overruns the budget to the samples still allowed (a view, no copy)', () => {
    const s = setup({ burstMs: 100, overrunCloseMs: 5_000 });
    const big = new Int16Array(8 * 250);
    const part = s.budget.take(big);
    expect(part?.length).toBe(800);
    expect(part?.buffer).toBe(big.buffer);
    expect(s.budget.take(new Int16Array(160))).toBeUndefined();
    expect(s.budget.droppedMs).toBe(170);
  });

  it('holds a 100x flood to real time plus the allowance, and calls it an overrun after overrunCloseMs', () => {
    const s = setup();
    let wallMs = 0;
    let overrunAtMs: number | undefined;
    // 1 s of audio every 10 ms: 100x real time, for 8 s of wall time.
    while (wallMs < 8_000) {
      s.advance(10);
      wallMs += 10;
      s.offer(1_000);
      if (s.budget.overrun && overrunAtMs === undefined) overrunAtMs = wallMs;
      expect(s.acceptedMs).toBeLessThanOrEqual(wallMs + 1_000);
    }
    expect(overrunAtMs).toBeGreaterThanOrEqual(5_000);
    expect(overrunAtMs).toBeLessThanOrEqual(5_010);
    expect(s.acceptedMs).toBeGreaterThanOrEqual(8_000);
  });

  it('never calls a peer whose clock runs 0.1 % fast an overrun; it loses only the excess', () => {
    const s = setup();
    // An hour of 20 ms frames sent every 19.98 ms.
    for (let i = 0; i < 180_180; i += 1) {
      s.advance(19.98);
      s.offer(20);
    }
    expect(s.budget.overrun).toBe(false);
    // 3,603.6 s of audio in 3,600 s of wall time: the burst absorbs 1 s, the rest is dropped.
    expect(s.budget.droppedMs).toBeGreaterThan(2_000);
    expect(s.budget.droppedMs).toBeLessThan(3_000);
  });

  it('forgives a stream that slows back to real time before the limit', () => {
    const s = setup();
    const run = (wallMs: number, everyMs: number, audioMs: number): void => {
      for (let t = 0; t < wallMs; t += everyMs) {
        s.advance(everyMs);
        s.offer(audioMs);
      }
    };
    run(3_000, 10, 1_000); // 3 s at 100x
    run(2_000, 20, 20); // 2 s at real time
    run(3_000, 10, 1_000); // 3 s at 100x again
    expect(s.budget.overrun).toBe(false);
  });
});
