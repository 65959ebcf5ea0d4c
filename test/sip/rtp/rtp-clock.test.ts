import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SharedRtpClock } from '../../../src/sip/rtp/rtp-clock.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const fakeClock = (maxCatchUpSlots?: number) =>
  new SharedRtpClock(maxCatchUpSlots === undefined ? { now: () => Date.now() } : { now: () => Date.now(), maxCatchUpSlots });

describe('SharedRtpClock', () => {
  it('ticks every subscriber once per 20 ms slot with one timer', () => {
    const clock = fakeClock();
    const a: number[] = [];
    const b: number[] = [];
    clock.subscribe((slot) => a.push(slot));
    clock.subscribe((slot) => b.push(slot));
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(100);
    expect(a).toEqual([1, 2, 3, 4, 5]);
    expect(b).toEqual(a);
    expect(vi.getTimerCount()).toBe(1);
  });

  it('does not drift: 10 s is exactly 500 slots', () => {
    const clock = fakeClock();
    let ticks = 0;
    clock.subscribe(() => (ticks += 1));
    vi.advanceTimersByTime(10_000);
    expect(ticks).toBe(500);
  });

  it('replays a few missed slots after a stall and skips the rest', () => {
    // A stalled event loop looks like the monotonic clock jumping while no timer could fire.
    let stallMs = 0;
    const clock = new SharedRtpClock({ now: () => Date.now() + stallMs, maxCatchUpSlots: 3 });
    const slots: number[] = [];
    clock.subscribe((slot) => slots.push(slot));
    vi.advanceTimersByTime(20);
    stallMs = 200;
    vi.advanceTimersByTime(20);
    expect(slots).toEqual([1, 10, 11, 12]);
    expect(clock.skippedSlots).toBe(8);
    vi.advanceTimersByTime(20);
    expect(slots.at(-1)).toBe(13);
  });

  it('stops its timer when the last subscriber leaves, and unsubscribing twice is harmless', () => {
    const clock = fakeClock();
    const stop = clock.subscribe(() => undefined);
    const stop2 = clock.subscribe(() => undefined);
    stop();
    stop();
    expect(vi.getTimerCount()).toBe(1);
    stop2();
    expect(vi.getTimerCount()).toBe(0);
    expect(clock.subscribers).toBe(0);
  });

  it('lets a subscriber leave during a tick without disturbing the others', () => {
    const clock = fakeClock();
    const seen: string[] = [];
    const stopA = clock.subscribe(() => {
      seen.push('a');
      stopA();
    });
    clock.subscribe(() => seen.push('b'));
    vi.advanceTimersByTime(40);
    expect(seen).toEqual(['a', 'b', 'b']);
  });

  it('still ticks the other subscribers and keeps running when one throws', () => {
    const clock = fakeClock();
    let ticks = 0;
    clock.subscribe(() => {
      throw new Error('bug in one leg');
    });
    clock.subscribe(() => (ticks += 1));
    expect(() => vi.advanceTimersByTime(20)).toThrow('bug in one leg');
    expect(ticks).toBe(1);
    expect(() => vi.advanceTimersByTime(20)).toThrow('bug in one leg');
    expect(ticks).toBe(2);
  });

  it('with a blocking wait, wakes early and waits out the rest, so every slot starts exactly on its boundary', () => {
    let nowMs = 0;
    const timers: Array<{ fn: () => void; atMs: number }> = [];
    const waited: Array<{ fromMs: number; toMs: number }> = [];
    const clock = new SharedRtpClock({
      now: () => nowMs,
      setTimer: (fn, ms) => timers.push({ fn, atMs: nowMs + ms }),
      clearTimer: () => undefined,
      wakeEarlyMs: 2,
      waitUntil: (dueMs) => {
        waited.push({ fromMs: nowMs, toMs: dueMs });
        nowMs = Math.max(nowMs, dueMs);
      },
    });
    const slots: Array<[number, number]> = [];
    clock.subscribe((slot, atMs) => slots.push([slot, atMs]));
    for (let i = 0; i < 3; i++) {
      const timer = timers.shift()!;
      // The event loop's timer is a little late (as real ones are), but still before the boundary.
      nowMs = timer.atMs + 0.7;
      timer.fn();
    }
    expect(waited).toEqual([
      { fromMs: 18.7, toMs: 20 },
      { fromMs: 38.7, toMs: 40 },
      { fromMs: 58.7, toMs: 60 },
    ]);
    expect(slots).toEqual([
      [1, 20],
      [2, 40],
      [3, 60],
    ]);
    expect(clock.timing.summary()).toMatchObject({ slots: 3, startLateMaxMs: 0, doneLateMaxMs: 0 });
  });
});
