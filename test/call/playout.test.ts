import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SharedPacingClock } from '../../src/call/pacing-clock.js';
import { Playout } from '../../src/call/playout.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function setup(leadMs = 60, clock = new SharedPacingClock({ now: () => Date.now() })) {
  const sent: Array<{ atMs: number; frame: Int16Array }> = [];
  let idle = 0;
  const t0 = Date.now();
  const playout = new Playout({
    frameMs: 20,
    frameSamples: 160,
    clock,
    leadMs,
    now: () => Date.now(),
    send: (frame) => sent.push({ atMs: Date.now() - t0, frame }),
    onIdle: () => (idle += 1),
  });
  const frame = () => new Int16Array(160);
  return { playout, sent, frame, idle: () => idle };
}

describe('playout', () => {
  it('sends the lead at once, then one frame per 20 ms of real time', () => {
    const { playout, sent, frame } = setup();
    for (let i = 0; i < 50; i++) playout.enqueue(frame(), 'r1');
    expect(sent).toHaveLength(3);
    vi.advanceTimersByTime(200);
    // After 200 ms: 200 ms played + 60 ms lead = 13 frames sent, never more.
    expect(sent).toHaveLength(13);
    for (const [i, s] of sent.entries()) expect(s.atMs).toBeGreaterThanOrEqual(Math.max(0, i * 20 - 60));
  });

  it('never drifts: after 10 s exactly 500 + lead frames left', () => {
    const { playout, sent, frame } = setup();
    for (let i = 0; i < 1000; i++) playout.enqueue(frame(), 'r1');
    vi.advanceTimersByTime(10_000);
    expect(sent).toHaveLength(503);
  });

  it('clear drops the local queue, ends the run and reports what was heard', async () => {
    const { playout, sent, frame, idle } = setup();
    for (let i = 0; i < 100; i++) playout.enqueue(frame(), 'r1');
    vi.advanceTimersByTime(250);
    const dropped = playout.clear();
    expect(sent.length + dropped).toBe(100);
    expect(playout.heardMs('r1')).toBe(250);
    expect(playout.active).toBe(false);
    expect(idle()).toBe(1);
    await expect(playout.whenDrained()).resolves.toBeUndefined();
    vi.advanceTimersByTime(1000);
    expect(playout.heardMs('r1')).toBe(250);
  });

  it('drains only after the last frame has had time to play', async () => {
    const { playout, frame } = setup();
    for (let i = 0; i < 5; i++) playout.enqueue(frame(), 'r1');
    let drained = false;
    void playout.whenDrained().then(() => (drained = true));
    await vi.advanceTimersByTimeAsync(90);
    expect(drained).toBe(false);
    await vi.advanceTimersByTimeAsync(20);
    expect(drained).toBe(true);
    expect(playout.heardMs('r1')).toBe(100);
  });

  it('re-anchors after an underrun instead of bursting the backlog', () => {
    const { playout, sent, frame } = setup();
    playout.enqueue(frame(), 'r1');
    vi.advanceTimersByTime(500); // audio came in slower than real time
    for (let i = 0; i < 20; i++) playout.enqueue(frame(), 'r1');
    // A new run: again only the lead goes out at once.
    expect(sent).toHaveLength(1 + 3);
  });

  it('keeps per-response accounting apart', () => {
    const { playout, frame } = setup();
    for (let i = 0; i < 5; i++) playout.enqueue(frame(), 'a');
    for (let i = 0; i < 5; i++) playout.enqueue(frame(), 'b');
    vi.advanceTimersByTime(150);
    expect(playout.heardMs('a')).toBe(100);
    expect(playout.heardMs('b')).toBe(50);
    expect(playout.sentMs('b')).toBe(100);
  });

  it('fifty calls share one timer, and an idle process keeps none', () => {
    const clock = new SharedPacingClock({ now: () => Date.now() });
    const calls = Array.from({ length: 50 }, () => setup(60, clock));
    const timersBefore = vi.getTimerCount();
    for (const call of calls) for (let i = 0; i < 25; i++) call.playout.enqueue(call.frame(), 'r1');
    expect(vi.getTimerCount() - timersBefore).toBe(1);
    expect(clock.subscribers).toBe(50);
    vi.advanceTimersByTime(200);
    // Each call paced on its own grid as before: 200 ms played + 60 ms lead.
    for (const call of calls) expect(call.sent).toHaveLength(13);
    vi.advanceTimersByTime(1000);
    for (const call of calls) expect(call.sent).toHaveLength(25);
    expect(clock.subscribers).toBe(0);
    expect(vi.getTimerCount()).toBe(timersBefore);
  });

  it('a tick that comes late after a stall sends the lead again, not the backlog', () => {
    const clock = new SharedPacingClock({ now: () => Date.now() });
    const { playout, sent, frame } = setup(60, clock);
    for (let i = 0; i < 100; i++) playout.enqueue(frame(), 'r1');
    expect(sent).toHaveLength(3);
    // The loop is blocked for 95 ms before the first tick: the far end ran dry after 60 ms.
    vi.setSystemTime(Date.now() + 95);
    vi.advanceTimersByTime(10);
    // Re-anchored at the tick: 60 ms of lead again, not 165 ms worth of frames at once.
    expect(sent).toHaveLength(6);
    vi.advanceTimersByTime(1000);
    expect(sent).toHaveLength(6 + 50);
  });
});
