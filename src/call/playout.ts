/**
 * Paced playout of 20 ms frames toward the caller.
 *
 * The model generates audio several times faster than real time. If we forwarded it as it came,
 * seconds of speech would sit in the far end's buffer and a barge-in could only hope the far end
 * honours `clear`. Instead frames leave on a real-time grid with a small lead (enough to ride out
 * timer jitter), so at any moment at most `leadMs` of audio is queued beyond our control and
 * clearing the local queue stops the agent at once.
 *
 * Frames leave on the process's pacing clock (pacing-clock.ts), one timer for every call, and at
 * once when audio arrives after a silence, so the first frame of a reply never waits for a tick.
 *
 * Playout also knows what the caller has heard: each frame has a scheduled play time on the grid,
 * so "heard" is the audio whose play time has passed. That is an estimate (it assumes the far end
 * plays on receipt plus a constant); platforms with marks can refine it.
 */
import { FrameRing } from './frame-ring.js';
import type { PacingClock } from './pacing-clock.js';

export interface PlayoutDeps {
  frameMs: number;
  /** Samples in one frame at the leg's rate (160 for 20 ms at 8 kHz). */
  frameSamples: number;
  /** Ticks while a run is under way; shared by every call in the process. */
  clock: PacingClock;
  /** How far ahead of real time frames may be sent. */
  leadMs: number;
  now(): number;
  /** The frame is a view into the queue's storage: read (encode, copy) it now, do not keep it. */
  send(frame: Int16Array): void;
  /** Called when a run ends: nothing queued and everything sent has played (or was cleared). */
  onIdle?(): void;
}

const MAX_TRACKED_TAGS = 8;

/** A stretch of one tag's audio played back to back: [startMs, startMs + durationMs). */
interface PlaySegment {
  startMs: number;
  durationMs: number;
}

export class Playout {
  readonly #deps: PlayoutDeps;
  readonly #queue: FrameRing;
  /** Grid origin of the current run; a run ends when everything sent has been played. */
  #runStartMs = 0;
  #sentInRunMs = 0;
  #running = false;
  /** Set while subscribed to the clock: from a run's first frame until it has played out. */
  #unsubscribe: (() => void) | undefined;
  #segments = new Map<string, PlaySegment[]>();
  #drainWaiters: Array<() => void> = [];
  #closed = false;
  #framesSent = 0;

  constructor(deps: PlayoutDeps) {
    this.#deps = deps;
    this.#queue = new FrameRing(deps.frameSamples);
  }

  get framesSent(): number {
    return this.#framesSent;
  }

  /** Frames waiting locally (not yet handed to the leg). */
  get queuedFrames(): number {
    return this.#queue.length;
  }

  /** True while audio is queued here or still playing at the far end. */
  get active(): boolean {
    return this.#running;
  }

  enqueue(frame: Int16Array, tag: string): void {
    if (this.#closed) return;
    this.#queue.push(frame, tag);
    if (!this.#running) {
      this.#running = true;
      this.#runStartMs = this.#deps.now();
      this.#sentInRunMs = 0;
    }
    this.#unsubscribe ??= this.#deps.clock.subscribe(this.#pump);
    // New audio leaves now if the lead allows, not at the next tick.
    this.#pump();
  }

  /**
   * Drop everything not yet sent and end the run. Returns the number of frames dropped. Whatever
   * was already sent is up to the far end (the caller sends `clear` to it first).
   */
  clear(): number {
    const dropped = this.queuedFrames;
    this.#queue.clear();
    // Frames already sent but scheduled in the future are cleared at the far end too, so the
    // heard accounting must stop at "now".
    const now = this.#deps.now();
    for (const segs of this.#segments.values()) {
      for (const seg of segs) {
        if (seg.startMs + seg.durationMs > now) seg.durationMs = Math.max(0, now - seg.startMs);
      }
    }
    this.#endRun();
    return dropped;
  }

  /** Milliseconds of `tag`'s audio whose play time has passed. */
  heardMs(tag: string, now = this.#deps.now()): number {
    let heard = 0;
    for (const seg of this.#segments.get(tag) ?? []) {
      heard += Math.min(Math.max(now - seg.startMs, 0), seg.durationMs);
    }
    return heard;
  }

  /** Milliseconds of `tag`'s audio handed to the leg. */
  sentMs(tag: string): number {
    let sent = 0;
    for (const seg of this.#segments.get(tag) ?? []) sent += seg.durationMs;
    return sent;
  }

  forget(tag: string): void {
    this.#segments.delete(tag);
  }

  /** Resolves once nothing is queued and everything sent has been played. */
  whenDrained(): Promise<void> {
    if (!this.#running) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  close(): void {
    this.#closed = true;
    this.#queue.clear();
    this.#endRun();
  }

  #pump = (): void => {
    if (!this.#running) return;
    const now = this.#deps.now();
    const { frameMs, leadMs } = this.#deps;
    // The far end ran dry (audio arrived slower than real time): re-anchor the grid at now so
    // the backlog is not sent as a burst and play times stay truthful.
    if (now - this.#runStartMs > this.#sentInRunMs) this.#runStartMs = now - this.#sentInRunMs;
    const playedMs = now - this.#runStartMs;
    while (this.#queue.length > 0 && this.#sentInRunMs < playedMs + leadMs) {
      this.#record(this.#queue.peekTag()!, this.#runStartMs + this.#sentInRunMs, frameMs);
      this.#sentInRunMs += frameMs;
      this.#framesSent += 1;
      this.#deps.send(this.#queue.shift()!);
    }
    // The run is over once nothing is queued and the far end has played everything sent;
    // until then the clock's ticks keep pumping.
    if (this.#queue.length === 0 && this.#runStartMs + this.#sentInRunMs <= now) this.#endRun();
  };

  #record(tag: string, startMs: number, durationMs: number): void {
    let segs = this.#segments.get(tag);
    if (!segs) {
      segs = [];
      this.#segments.set(tag, segs);
      // Only recent responses are ever asked about (a barge-in cuts the one playing); keep the
      // bookkeeping bounded over a two-hour call. Maps iterate in insertion order.
      if (this.#segments.size > MAX_TRACKED_TAGS) {
        const oldest = this.#segments.keys().next().value;
        if (oldest !== undefined) this.#segments.delete(oldest);
      }
    }
    const last = segs[segs.length - 1];
    if (last && last.startMs + last.durationMs === startMs) last.durationMs += durationMs;
    else segs.push({ startMs, durationMs });
  }

  #endRun(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#running = false;
    this.#sentInRunMs = 0;
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const resolve of waiters) resolve();
    if (!this.#closed) this.#deps.onIdle?.();
  }
}
