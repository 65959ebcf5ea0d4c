/**
 * Audio frames of many streams, interleaved with other items (commands one way, reports the
 * other), gathered into one message and read back in the order they were added. Both directions
 * of the RTP thread's protocol use it.
 *
 * Frames are copied as they are added (a call's frame is a view of its playout queue, reused as
 * soon as sendAudio returns) into a staging buffer kept from batch to batch, and once more into a
 * single Int16Array sized for the message, whose buffer is then transferred: per message one
 * allocation and no structured-clone copy, whatever the number of streams. Items record how many
 * frames preceded them (`afterFrame`).
 */
import type { FrameBatch } from './rtp-thread-protocol.js';

type Entry<Item> = { stream: number; offset: number; length: number } | { item: Item };

export interface TakenBatch<Item> {
  frames: FrameBatch;
  items: Array<Item & { afterFrame: number }>;
  /** The buffers to transfer with the message. */
  transfer: ArrayBuffer[];
}

export class FrameBatchWriter<Item extends object> {
  #entries: Array<Entry<Item>> = [];
  /** Samples of the frames added since the last take, in order; grown as needed, never shrunk. */
  #staged = new Int16Array(160 * 64);
  #stagedLength = 0;

  get empty(): boolean {
    return this.#entries.length === 0;
  }

  /** Copies the frame: the caller may reuse its memory as soon as this returns. */
  addFrame(stream: number, frame: Int16Array): void {
    if (this.#stagedLength + frame.length > this.#staged.length) {
      const grown = new Int16Array(Math.max(this.#staged.length * 2, this.#stagedLength + frame.length));
      grown.set(this.#staged.subarray(0, this.#stagedLength));
      this.#staged = grown;
    }
    this.#staged.set(frame, this.#stagedLength);
    this.#entries.push({ stream, offset: this.#stagedLength, length: frame.length });
    this.#stagedLength += frame.length;
  }

  addItem(item: Item): void {
    this.#entries.push({ item });
  }

  /** Forgets the frames of `stream` not yet taken (barge-in); its items stay. */
  dropFrames(stream: number): void {
    this.#entries = this.#entries.filter((entry) => !('stream' in entry) || entry.stream !== stream);
  }

  take(): TakenBatch<Item> | undefined {
    if (this.#entries.length === 0) return undefined;
    const entries = this.#entries;
    this.#entries = [];
    let frameCount = 0;
    let samples = 0;
    for (const entry of entries) {
      if (!('stream' in entry)) continue;
      frameCount += 1;
      samples += entry.length;
    }
    const pcm = new Int16Array(samples);
    const index = new Int32Array(frameCount * 2);
    const items: Array<Item & { afterFrame: number }> = [];
    let frame = 0;
    let offset = 0;
    for (const entry of entries) {
      if ('stream' in entry) {
        pcm.set(this.#staged.subarray(entry.offset, entry.offset + entry.length), offset);
        offset += entry.length;
        index[frame * 2] = entry.stream;
        index[frame * 2 + 1] = entry.length;
        frame += 1;
      } else {
        items.push({ ...entry.item, afterFrame: frame });
      }
    }
    this.#stagedLength = 0;
    return { frames: { pcm, index }, items, transfer: [pcm.buffer, index.buffer] };
  }
}

/**
 * Calls `onFrame` for every frame (a view into the message's buffer, not a copy) and `onItem` for
 * every item, in the order they were added.
 */
export function readFrameBatch<Item extends { afterFrame: number }>(
  frames: FrameBatch,
  items: readonly Item[],
  onFrame: (stream: number, frame: Int16Array) => void,
  onItem: (item: Item) => void,
): void {
  const count = frames.index.length / 2;
  let next = 0;
  let offset = 0;
  for (let frame = 0; frame < count; frame++) {
    while (next < items.length && items[next]!.afterFrame <= frame) onItem(items[next++]!);
    const samples = frames.index[frame * 2 + 1]!;
    onFrame(frames.index[frame * 2]!, frames.pcm.subarray(offset, offset + samples));
    offset += samples;
  }
  while (next < items.length) onItem(items[next++]!);
}
