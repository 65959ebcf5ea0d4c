import { describe, expect, it } from 'vitest';
import { FrameRing } from '../../src/call/frame-ring.js';

const frame = (value: number, samples = 4): Int16Array => new Int16Array(samples).fill(value);

describe('frame ring', () => {
  it('gives frames back in order with their tags, growing past its first size', () => {
    const ring = new FrameRing(4, 2);
    for (let i = 1; i <= 5; i++) ring.push(frame(i), i <= 3 ? 'a' : 'b');
    expect(ring.length).toBe(5);
    const out: Array<[string, number[]]> = [];
    while (ring.length > 0) {
      const tag = ring.peekTag()!;
      out.push([tag, [...ring.shift()!]]);
    }
    expect(out).toEqual([
      ['a', [1, 1, 1, 1]],
      ['a', [2, 2, 2, 2]],
      ['a', [3, 3, 3, 3]],
      ['b', [4, 4, 4, 4]],
      ['b', [5, 5, 5, 5]],
    ]);
    expect(ring.shift()).toBeUndefined();
  });

  it('wraps around without losing order, and pads a short frame with silence', () => {
    const ring = new FrameRing(4, 3);
    ring.push(frame(1), 't');
    ring.push(frame(2), 't');
    ring.shift();
    ring.push(frame(3), 't');
    ring.push(new Int16Array([9, 9]), 't');
    expect([...ring.shift()!]).toEqual([2, 2, 2, 2]);
    expect([...ring.shift()!]).toEqual([3, 3, 3, 3]);
    expect([...ring.shift()!]).toEqual([9, 9, 0, 0]);
  });

  it('refuses a frame longer than its slots and forgets everything on clear', () => {
    const ring = new FrameRing(4);
    expect(() => ring.push(frame(1, 5), 't')).toThrow(RangeError);
    ring.push(frame(1), 't');
    ring.clear();
    expect(ring.length).toBe(0);
    expect(ring.peekTag()).toBeUndefined();
  });
});
