import { describe, expect, it } from 'vitest';
import { JitterBuffer } from '../../../src/sip/rtp/jitter-buffer.js';

/** Packet n carries 160 samples of value n, so the output tells which packet (or concealment) it was. */
const pcm = (value: number) => new Int16Array(160).fill(value);

function setup(depthMs = 60, silenceFillMs = 0) {
  const out: number[] = [];
  const jb = new JitterBuffer({ depthMs, packetMs: 20, silenceFillMs, emit: (samples) => out.push(samples[0]!) });
  return { jb, out };
}

describe('JitterBuffer', () => {
  it('releases in-order packets immediately', () => {
    const { jb, out } = setup();
    jb.push(100, pcm(1000), 0);
    jb.push(101, pcm(1010), 20);
    expect(out).toEqual([1000, 1010]);
    expect(jb.bufferedPackets).toBe(0);
  });

  it('reorders within its depth', () => {
    const { jb, out } = setup();
    jb.push(1, pcm(10), 0);
    jb.push(3, pcm(30), 20);
    expect(out).toEqual([10]);
    jb.push(2, pcm(20), 25);
    expect(out).toEqual([10, 20, 30]);
    expect(jb.counters.lost).toBe(0);
  });

  it('orders across the 16-bit wrap', () => {
    const { jb, out } = setup();
    jb.push(65_534, pcm(1), 0);
    jb.push(0, pcm(3), 20);
    jb.push(65_535, pcm(2), 21);
    jb.push(1, pcm(4), 40);
    expect(out).toEqual([1, 2, 3, 4]);
  });

  it('drops duplicates, buffered or already released', () => {
    const { jb, out } = setup();
    jb.push(1, pcm(10), 0);
    expect(jb.push(1, pcm(10), 1)).toBe('duplicate');
    jb.push(3, pcm(30), 20);
    expect(jb.push(3, pcm(30), 21)).toBe('duplicate');
    jb.push(2, pcm(20), 22);
    expect(out).toEqual([10, 20, 30]);
    expect(jb.counters.duplicates).toBe(2);
  });

  it('conceals lost packets once the oldest waiting packet has waited the depth: repeat at half, then silence', () => {
    const { jb, out } = setup(60);
    jb.push(1, pcm(1000), 0);
    // 2 and 3 are lost; 4, 5, 6 arrive and wait.
    jb.push(4, pcm(4000), 60);
    jb.push(5, pcm(5000), 80);
    jb.push(6, pcm(6000), 100);
    expect(out).toEqual([1000]);
    // 7 arrives as 4 has waited 60 ms: give up on 2 and 3.
    jb.push(7, pcm(7000), 120);
    expect(out).toEqual([1000, 500, 0, 4000, 5000, 6000, 7000]);
    expect(jb.counters.lost).toBe(2);
  });

  it('gives up on a gap at once when a burst holds more than the depth of audio', () => {
    const { jb, out } = setup(60);
    jb.push(1, pcm(100), 0);
    for (let seq = 3; seq <= 5; seq++) jb.push(seq, pcm(seq), 10);
    expect(out).toEqual([100]); // 60 ms waiting: not more than the depth yet
    jb.push(6, pcm(6), 10);
    expect(out).toEqual([100, 50, 3, 4, 5, 6]);
  });

  it('conceals by deadline when nothing more arrives, then counts the straggler as late', () => {
    const { jb, out } = setup(60);
    jb.push(1, pcm(10), 0);
    jb.push(3, pcm(30), 40);
    jb.poll(80);
    expect(out).toEqual([10]);
    jb.poll(100);
    expect(out).toEqual([10, 5, 30]);
    expect(jb.push(2, pcm(20), 120)).toBe('late');
    expect(out).toEqual([10, 5, 30]);
    expect(jb.counters).toMatchObject({ lost: 1, late: 1 });
  });

  it('lets packets without audio (telephone-event) occupy sequence numbers without being concealed', () => {
    const { jb, out } = setup();
    jb.push(1, pcm(10), 0);
    jb.push(2, undefined, 20);
    jb.push(3, undefined, 40);
    jb.push(4, pcm(40), 60);
    expect(out).toEqual([10, 40]);
    expect(jb.counters.lost).toBe(0);
  });

  it('treats a large jump as a restarted sender instead of minutes of late audio', () => {
    const { jb, out } = setup();
    jb.push(5000, pcm(1), 0);
    jb.push(5001, pcm(2), 20);
    jb.push(100, pcm(3), 40);
    jb.push(101, pcm(4), 60);
    expect(out).toEqual([1, 2, 3, 4]);
    expect(jb.counters).toMatchObject({ resyncs: 1, late: 0, lost: 0 });
  });

  it('reset() releases what is buffered in order and accepts a new sequence space', () => {
    const { jb, out } = setup();
    jb.push(10, pcm(1), 0);
    jb.push(12, pcm(3), 20);
    jb.reset();
    expect(out).toEqual([1, 3]);
    jb.push(40_000, pcm(7), 40);
    expect(out).toEqual([1, 3, 7]);
  });

  it('feeds silence in real time when the far end pauses, only up to silenceFillMs, and resumes cleanly', () => {
    const { jb, out } = setup(60, 100);
    jb.push(1, pcm(10), 0);
    for (let t = 20; t <= 80; t += 20) jb.poll(t);
    expect(out).toEqual([10]); // within the jitter allowance: not a pause yet
    for (let t = 100; t <= 400; t += 20) jb.poll(t);
    expect(out).toEqual([10, 0, 0, 0, 0, 0]); // 100 ms of silence, then nothing
    expect(jb.counters.filledFrames).toBe(5);
    // The talker resumes (the sequence number jumped by 2 lost packets): no extra concealment.
    jb.push(4, pcm(40), 420);
    expect(out).toEqual([10, 0, 0, 0, 0, 0, 40]);
    expect(jb.counters.lost).toBe(2);
  });
});
