import { describe, expect, it } from 'vitest';
import { PlayoutTimeline } from '../../../src/sim/caller/playout-timeline.js';

const RATE_HZ = 8000;
const tone = (ms: number, amplitude = 8000) =>
  Int16Array.from({ length: (ms * RATE_HZ) / 1000 }, (_, i) => Math.round(amplitude * Math.cos((2 * Math.PI * 400 * i) / RATE_HZ)));

describe('PlayoutTimeline', () => {
  it('plays received audio at real time from its arrival', () => {
    const t = new PlayoutTimeline(RATE_HZ);
    t.receiveAudio(tone(100), 40);
    t.advanceTo(90);
    expect(t.stats().heardMs).toBe(50);
    expect(t.idle).toBe(false);
    t.advanceTo(500);
    expect(t.stats()).toMatchObject({ heardMs: 100, receivedMs: 100, clearedMs: 0, firstAudibleHeardMs: 40, lastAudibleHeardEndMs: 140 });
    expect(t.idle).toBe(true);
  });

  it('does not count audio a clear dropped before it played as heard', () => {
    const t = new PlayoutTimeline(RATE_HZ);
    // A bridge sending faster than real time: a whole second arrives at once.
    t.receiveAudio(tone(1000), 0);
    t.clear(300);
    t.advanceTo(2000);
    expect(t.stats()).toMatchObject({ receivedMs: 1000, heardMs: 300, clearedMs: 700, clearsAtMs: [300], lastAudibleHeardEndMs: 300 });
    expect(t.heardPcm()).toHaveLength(300 * 8);
  });

  it('queues audio behind audio, and leaves silence in the recording where nothing played', () => {
    const t = new PlayoutTimeline(RATE_HZ);
    t.receiveAudio(tone(100), 0);
    t.receiveAudio(tone(100), 0);
    t.advanceTo(300);
    expect(t.stats().lastAudibleHeardEndMs).toBe(200);
    t.receiveAudio(tone(100), 500);
    t.advanceTo(1000);
    const heard = t.heardPcm();
    expect(heard).toHaveLength(600 * 8);
    expect(heard.subarray(200 * 8, 500 * 8).every((s) => s === 0)).toBe(true);
    expect(t.stats()).toMatchObject({ heardMs: 300, lastAudibleHeardEndMs: 600 });
  });

  it('echoes a mark when playout reaches it, at once when nothing is queued, and on clear', () => {
    const t = new PlayoutTimeline(RATE_HZ);
    expect(t.receiveMark('empty', 0)).toEqual(['empty']);
    t.receiveAudio(tone(100), 0);
    expect(t.receiveMark('after-100', 0)).toEqual([]);
    t.receiveAudio(tone(100), 0);
    expect(t.receiveMark('after-200', 0)).toEqual([]);
    expect(t.advanceTo(99)).toEqual([]);
    expect(t.advanceTo(100)).toEqual(['after-100']);
    expect(t.clear(150)).toEqual(['after-200']);
    expect(t.stats()).toMatchObject({ heardMs: 150, clearedMs: 50 });
  });

  it('treats silent audio as heard but not as the agent speaking', () => {
    const t = new PlayoutTimeline(RATE_HZ);
    t.receiveAudio(new Int16Array(800), 0);
    t.advanceTo(200);
    expect(t.stats()).toMatchObject({ heardMs: 100, firstAudibleHeardMs: undefined, lastAudibleHeardEndMs: undefined });
  });
});
