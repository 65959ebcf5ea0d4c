/**
 * A call recording as a stereo PCM16 WAV — caller on the left, agent on the right, at the leg's
 * rate — streamed to disk as the call goes, so a two-hour call never sits in memory.
 *
 * Placement: each chunk carries the call time it was heard or sent (`atMs`). A channel's audio is
 * laid end to end while it keeps coming (network jitter must not punch holes or overlaps into
 * it); when a chunk arrives more than `gapToleranceMs` later than where the channel's audio
 * ended, the channel was quiet (the agent between answers, a caller on hold): the chunk goes at
 * its own time and the gap is silence. That keeps the channels aligned within the tolerance.
 *
 * Streaming: samples are mixed into a short window that is written out once neither channel can
 * still write into its start (see `#safeFrame`). The WAV header is written with zero sizes first
 * and patched when the call ends; readers that meet an unpatched file (the process died) can take
 * the data to the end of the file, as src/audio/wav.ts does.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { CallAudioTap } from '../call/call.js';

export interface StereoWavRecorderOptions {
  path: string;
  sampleRateHz: number;
  /** Default 100 ms. */
  gapToleranceMs?: number;
  /** Audio gathered before a write to disk. Default 1000 ms. */
  flushMs?: number;
  /** Most audio held in memory when one channel runs ahead of the other. Default 30 s. */
  maxWindowMs?: number;
  /** The first failure of this recording (it stops recording after it). */
  onError(err: Error): void;
}

const HEADER_BYTES = 44;
const CALLER = 0;
const AGENT = 1;
/** The disk is this far behind (a stalled volume): drop audio rather than buffer without bound. */
const MAX_UNWRITTEN_BYTES = 8 * 1024 * 1024;
const MAX_DATA_BYTES = 0xffff_ffff - 36;
const SILENCE = Buffer.alloc(64 * 1024);

export class StereoWavRecorder implements CallAudioTap {
  readonly path: string;
  readonly sampleRateHz: number;
  readonly #opts: StereoWavRecorderOptions;
  readonly #stream: WriteStream;
  readonly #gapFrames: number;
  readonly #flushFrames: number;
  readonly #maxWindowFrames: number;
  /** Interleaved L/R samples of frames [#baseFrame, #baseFrame + window length / 2). */
  #window: Int16Array;
  #baseFrame = 0;
  /** Where each channel's audio ends (frame index). */
  readonly #cursor = [0, 0];
  /** Whether each channel has had any audio yet. */
  readonly #heard = [false, false];
  /** The latest call time seen on either channel, in frames. */
  #nowFrame = 0;
  #dataBytes = 0;
  #failed = false;
  #closed = false;
  readonly #finished: Promise<void>;
  #resolveFinished!: () => void;

  constructor(opts: StereoWavRecorderOptions) {
    this.#opts = opts;
    this.path = opts.path;
    this.sampleRateHz = opts.sampleRateHz;
    const framesPerMs = opts.sampleRateHz / 1000;
    this.#gapFrames = Math.round((opts.gapToleranceMs ?? 100) * framesPerMs);
    this.#flushFrames = Math.round((opts.flushMs ?? 1000) * framesPerMs);
    this.#maxWindowFrames = Math.max(this.#flushFrames * 2, Math.round((opts.maxWindowMs ?? 30_000) * framesPerMs));
    this.#window = new Int16Array(2 * Math.max(this.#flushFrames * 2, this.#gapFrames * 4));
    this.#finished = new Promise((resolve) => (this.#resolveFinished = resolve));
    this.#stream = createWriteStream(opts.path);
    this.#stream.on('error', (err) => this.#fail(err));
    this.#stream.write(wavHeader(opts.sampleRateHz, 0));
  }

  /** Audio held in memory, not yet handed to the file (for tests and diagnostics). */
  get bufferedMs(): number {
    const end = Math.max(this.#cursor[CALLER]!, this.#cursor[AGENT]!);
    return ((end - this.#baseFrame) * 1000) / this.sampleRateHz;
  }

  /** Resolves once the file is complete (header patched) or recording failed. */
  finished(): Promise<void> {
    return this.#finished;
  }

  callerAudio(pcm: Int16Array, atMs: number): void {
    this.#place(CALLER, pcm, atMs);
  }

  agentAudio(frame: Int16Array, atMs: number): void {
    this.#place(AGENT, frame, atMs);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#failed) return;
    this.#flushTo(Math.max(this.#cursor[CALLER]!, this.#cursor[AGENT]!));
    if (this.#failed) return;
    this.#stream.end(() => {
      void this.#patchHeader().finally(() => this.#resolveFinished());
    });
  }

  #place(channel: number, pcm: Int16Array, atMs: number): void {
    if (this.#closed || this.#failed || pcm.length === 0) return;
    const target = Math.max(0, Math.round((atMs * this.sampleRateHz) / 1000));
    if (target > this.#nowFrame) this.#nowFrame = target;
    const cursor = this.#cursor[channel]!;
    // A channel's first audio has nothing to follow: it goes at its own time.
    const quiet = !this.#heard[channel] || target > cursor + this.#gapFrames;
    this.#heard[channel] = true;
    let start = quiet ? target : cursor;
    // One channel ran far ahead of the other: write out the oldest audio to bound the window.
    if (start + pcm.length - this.#baseFrame > this.#maxWindowFrames) this.#flushTo(start + pcm.length - this.#maxWindowFrames);
    if (this.#failed) return;
    // Audio already written cannot be rewritten: a channel that fell that far behind starts after it.
    start = Math.max(start, this.#baseFrame);
    const end = start + pcm.length;
    this.#reserve(end - this.#baseFrame);
    const window = this.#window;
    for (let i = 0, at = 2 * (start - this.#baseFrame) + channel; i < pcm.length; i++, at += 2) window[at] = pcm[i]!;
    this.#cursor[channel] = end;
    const safe = this.#safeFrame();
    if (safe - this.#baseFrame >= this.#flushFrames) this.#flushTo(safe);
  }

  /**
   * The first frame either channel may still write: its cursor, unless it has been quiet for
   * longer than the tolerance — then its next chunk goes at its own time, which is no earlier than
   * the latest time seen.
   */
  #safeFrame(): number {
    let safe = Infinity;
    for (let channel = 0; channel < 2; channel++) {
      const cursor = this.#cursor[channel]!;
      const quiet = !this.#heard[channel] || this.#nowFrame > cursor + this.#gapFrames;
      safe = Math.min(safe, quiet ? this.#nowFrame : cursor);
    }
    return safe;
  }

  #reserve(frames: number): void {
    if (2 * frames <= this.#window.length) return;
    let size = this.#window.length;
    while (size < 2 * frames) size *= 2;
    const grown = new Int16Array(size);
    grown.set(this.#window);
    this.#window = grown;
  }

  /** Writes frames [#baseFrame, upTo) and slides the window. */
  #flushTo(upTo: number): void {
    const frames = upTo - this.#baseFrame;
    if (frames <= 0) return;
    const windowFrames = Math.min(frames, this.#window.length / 2);
    // A copy: the window is reused while the stream still holds the chunk.
    const chunk = Buffer.from(new Uint8Array(this.#window.buffer, 0, windowFrames * 4));
    this.#window.copyWithin(0, windowFrames * 2);
    this.#window.fill(0, this.#window.length - windowFrames * 2);
    this.#baseFrame = upTo;
    if (this.#stream.writableLength > MAX_UNWRITTEN_BYTES) {
      this.#fail(new Error('disk too slow: recording abandoned'));
      return;
    }
    this.#write(chunk);
    // Beyond the window (both channels were quiet): silence, written from one shared zero buffer
    // so a long hold costs no memory.
    for (let silent = frames - windowFrames; silent > 0 && !this.#failed; ) {
      const n = Math.min(silent, SILENCE.length / 4);
      this.#write(SILENCE.subarray(0, n * 4));
      silent -= n;
    }
  }

  #write(bytes: Buffer): void {
    if (this.#failed) return;
    if (this.#dataBytes + bytes.length > MAX_DATA_BYTES) {
      this.#fail(new Error('recording reached the 4 GiB WAV limit'));
      return;
    }
    this.#dataBytes += bytes.length;
    this.#stream.write(bytes);
  }

  async #patchHeader(): Promise<void> {
    try {
      const file = await open(this.path, 'r+');
      try {
        await file.write(wavHeader(this.sampleRateHz, this.#dataBytes), 0, HEADER_BYTES, 0);
      } finally {
        await file.close();
      }
    } catch (err) {
      this.#fail(err as Error);
    }
  }

  #fail(err: Error): void {
    if (this.#failed) return;
    this.#failed = true;
    // What is on disk stays (a header with zero sizes still reads); the call carries on unrecorded.
    this.#stream.end();
    this.#opts.onError(err);
    this.#resolveFinished();
  }
}

/** A 44-byte stereo PCM16 header for `dataBytes` of samples. */
function wavHeader(sampleRateHz: number, dataBytes: number): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(2, 22);
  header.writeUInt32LE(sampleRateHz, 24);
  header.writeUInt32LE(sampleRateHz * 4, 28);
  header.writeUInt16LE(4, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(dataBytes, 40);
  return header;
}
