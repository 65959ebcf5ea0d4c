import { describe, expect, it } from 'vitest';
import { FrameBatchWriter, readFrameBatch } from '../../../src/sip/rtp/worker/frame-batch.js';

type Item = { name: string };

function frame(value: number, samples = 160): Int16Array {
  return new Int16Array(samples).fill(value);
}

function readBack(writer: FrameBatchWriter<Item>): string[] {
  const taken = writer.take();
  if (taken === undefined) return [];
  const seen: string[] = [];
  readFrameBatch(
    taken.frames,
    taken.items,
    (stream, pcm) => seen.push(`s${stream}:${pcm[0]}x${pcm.length}`),
    (item) => seen.push(item.name),
  );
  return seen;
}

describe('frame batches', () => {
  it('keep a frame as it was when added, though the caller reuses its memory at once', () => {
    const writer = new FrameBatchWriter<Item>();
    const reused = frame(1);
    writer.addFrame(1, reused);
    reused.fill(2);
    writer.addFrame(1, reused);
    reused.fill(3);
    // Enough frames to grow the staging buffer past its first size.
    for (let i = 0; i < 100; i++) writer.addFrame(2, frame(4));
    const seen = readBack(writer);
    expect(seen.slice(0, 2)).toEqual(['s1:1x160', 's1:2x160']);
    expect(seen).toHaveLength(102);
    expect(new Set(seen.slice(2))).toEqual(new Set(['s2:4x160']));
  });

  it('read back frames of several streams and items in the order they were added, from one buffer', () => {
    const writer = new FrameBatchWriter<Item>();
    writer.addFrame(1, frame(10));
    writer.addFrame(2, frame(20));
    writer.addItem({ name: 'clear 1' });
    writer.addFrame(1, frame(11, 80));
    writer.addItem({ name: 'close 2' });
    const taken = writer.take()!;
    expect(taken.frames.pcm.length).toBe(400);
    expect(taken.transfer).toEqual([taken.frames.pcm.buffer, taken.frames.index.buffer]);
    const seen: string[] = [];
    readFrameBatch(
      taken.frames,
      taken.items,
      (stream, pcm) => seen.push(`s${stream}:${pcm[0]}x${pcm.length}`),
      (item) => seen.push(item.name),
    );
    expect(seen).toEqual(['s1:10x160', 's2:20x160', 'clear 1', 's1:11x80', 'close 2']);
    expect(writer.empty).toBe(true);
    expect(writer.take()).toBeUndefined();
  });

  it('drop one stream’s frames not yet taken, keeping its items and every other stream’s frames', () => {
    const writer = new FrameBatchWriter<Item>();
    writer.addFrame(1, frame(10));
    writer.addItem({ name: 'direction 1' });
    writer.addFrame(1, frame(11));
    writer.addFrame(2, frame(20));
    writer.dropFrames(1);
    writer.addItem({ name: 'clear 1' });
    writer.addFrame(1, frame(12));
    expect(readBack(writer)).toEqual(['direction 1', 's2:20x160', 'clear 1', 's1:12x160']);
  });

  it('carry items alone (a close with nothing to play)', () => {
    const writer = new FrameBatchWriter<Item>();
    writer.addItem({ name: 'close 3' });
    expect(readBack(writer)).toEqual(['close 3']);
  });
});
