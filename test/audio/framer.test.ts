import { describe, expect, it } from 'vitest';
import { Framer } from '../../src/audio/framer.js';
import { concat, randomSizes, testSignal } from './signals.js';

describe('Framer', () => {
  it('cuts any chunking into whole frames in order and keeps the remainder', () => {
    const input = testSignal(8000, 8000);
    const framer = new Framer(160);
    const frames: Int16Array[] = [];
    let at = 0;
    for (const size of randomSizes(200, 1, 500, 4)) {
      if (at >= input.length) break;
      frames.push(...framer.push(input.subarray(at, at + size)));
      at = Math.min(input.length, at + size);
      expect(framer.pendingSamples).toBe(at - frames.length * 160);
    }
    expect(frames.every((frame) => frame.length === 160)).toBe(true);
    expect(Array.from(concat(frames))).toEqual(Array.from(input.subarray(0, frames.length * 160)));
    expect(framer.pendingSamples).toBe(input.length % 160);
  });

  it('hands out frames that own their memory', () => {
    const framer = new Framer(4);
    const chunk = Int16Array.from([1, 2, 3, 4, 5, 6]);
    const [first] = framer.push(chunk);
    chunk.fill(0);
    const [second] = framer.push(Int16Array.from([7, 8]));
    expect(Array.from(first!)).toEqual([1, 2, 3, 4]);
    expect(Array.from(second!)).toEqual([5, 6, 7, 8]);
    expect(first!.buffer).not.toBe(second!.buffer);
  });

  it('flushes the remainder padded with silence, once', () => {
    const framer = new Framer(4);
    expect(framer.flush()).toBeUndefined();
    framer.push(Int16Array.from([9, 8, 7, 6, 5]));
    expect(Array.from(framer.flush()!)).toEqual([5, 0, 0, 0]);
    expect(framer.pendingSamples).toBe(0);
    expect(framer.flush()).toBeUndefined();
  });

  it('drops the remainder on clear()', () => {
    const framer = new Framer(4);
    framer.push(Int16Array.from([1, 2, 3]));
    framer.clear();
    expect(framer.pendingSamples).toBe(0);
    expect(Array.from(framer.push(Int16Array.from([4, 5, 6, 7]))[0]!)).toEqual([4, 5, 6, 7]);
  });

  it('rejects a frame size that is not a positive integer', () => {
    expect(() => new Framer(0)).toThrow(RangeError);
    expect(() => new Framer(159.5)).toThrow(RangeError);
  });
});

describe('framer: views for a consumer that copies', () => {
  it('hands out the same frames as push, across any chunking', () => {
    const signal = Int16Array.from({ length: 1000 }, (_, i) => (i * 37) % 2000);
    const copies = new Framer(160);
    const views = new Framer(160);
    const expected: number[][] = [];
    const seen: number[][] = [];
    for (const [from, to] of [[0, 70], [70, 400], [400, 401], [401, 1000]] as const) {
      for (const frame of copies.push(signal.subarray(from, to))) expected.push([...frame]);
      views.pushEach(signal.subarray(from, to), (frame) => seen.push([...frame]));
    }
    expect(seen).toEqual(expected);
    expect(views.pendingSamples).toBe(copies.pendingSamples);
  });
});
