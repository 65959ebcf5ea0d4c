/**
 * What the caller hears of the agent: model audio (24 kHz) and local recordings, resampled to the
 * leg's rate, cut into 20 ms frames and paced out; which response is playing and how much of it
 * has been heard; and stopping all of it at once (barge-in, a lost model session). The far end's
 * buffer is cleared first, because that is what the caller hears.
 */
import type { Logger } from 'pino';
import { Framer } from '../audio/framer.js';
import type { ResamplerFactory, StreamResampler } from '../audio/resampler.js';
import type { MediaLeg } from './media-leg.js';
import { SharedPacingClock, type PacingClock } from './pacing-clock.js';
import { Playout } from './playout.js';
import type { Transcript } from './transcript.js';

export const FRAME_MS = 20;

export interface AgentVoiceDeps {
  leg: MediaLeg;
  leadMs: number;
  now: () => number;
  createResampler: ResamplerFactory;
  /** The process's pacing clock; undefined: this call gets one of its own. */
  pacing: PacingClock | undefined;
  transcript: Transcript;
  log: Logger;
  /** Call time in milliseconds. */
  atMs(): number;
  isActive(): boolean;
  /** A frame is about to go to the caller (record bookkeeping, recording tap); valid only during the call. */
  onFrame(frame: Int16Array): void;
  /** Playout ran dry. */
  onIdle(): void;
}

export interface StoppedSpeech {
  responseId: string;
  heardMs: number;
  droppedFrames: number;
}

export class AgentVoice {
  readonly #deps: AgentVoiceDeps;
  readonly #framer: Framer;
  readonly #playout: Playout;
  #down: StreamResampler | undefined;
  /** Response being generated now (between its start and its end). */
  #live: string | undefined;
  /** Response (or recording) enqueued last: what is playing, or will be. */
  #lastEnqueued: string | undefined;
  /** Responses cut off: their late audio is dropped. */
  readonly #cut = new Set<string>();

  constructor(deps: AgentVoiceDeps) {
    this.#deps = deps;
    this.#framer = new Framer((deps.leg.sampleRateHz * FRAME_MS) / 1000);
    this.#playout = new Playout({
      frameMs: FRAME_MS,
      frameSamples: this.#framer.frameSamples,
      clock: deps.pacing ?? new SharedPacingClock(),
      leadMs: deps.leadMs,
      now: deps.now,
      send: (frame) => {
        deps.onFrame(frame);
        deps.leg.sendAudio(frame);
      },
      onIdle: () => deps.onIdle(),
    });
  }

  /** The model's downlink resampler (24 kHz → the leg's rate), once created. */
  set downResampler(down: StreamResampler) {
    this.#down = down;
  }

  get playing(): boolean {
    return this.#playout.active;
  }

  get liveResponseId(): string | undefined {
    return this.#live;
  }

  isCut(responseId: string): boolean {
    return this.#cut.has(responseId);
  }

  responseStarted(responseId: string): void {
    this.#live = responseId;
  }

  /** The model's session is gone: nothing it was generating will finish. */
  forgetLive(): void {
    this.#live = undefined;
  }

  responseDone(responseId: string): void {
    if (this.#live === responseId) this.#live = undefined;
    if (this.#cut.has(responseId)) return;
    // Play the response's last partial frame, padded, instead of leaving it in the framer.
    const tail = this.#framer.flush();
    if (tail) this.#playout.enqueue(tail, responseId);
  }

  /** Model audio; false when it was dropped (a cut response, or no downlink yet). */
  modelAudio(responseId: string, pcm: Int16Array): boolean {
    if (this.#cut.has(responseId) || this.#down === undefined) return false;
    this.#enqueue(responseId, this.#down.process(pcm));
    return true;
  }

  /** Plays a preloaded recording; with a transcript, it joins the record as an agent turn. */
  play(tag: string, audio: { pcm: Int16Array; sampleRateHz: number }, transcript: string | undefined): Promise<void> {
    return this.#deps.createResampler(audio.sampleRateHz, this.#deps.leg.sampleRateHz).then((resampler) => {
      if (!this.#deps.isActive()) return resampler.dispose();
      if (transcript !== undefined) this.#deps.transcript.agentTextDone(tag, transcript, this.#deps.atMs());
      this.#enqueue(tag, resampler.process(audio.pcm));
      const tail = this.#framer.flush();
      if (tail) this.#playout.enqueue(tail, tag);
      resampler.dispose();
    });
  }

  /**
   * Stops the agent now and records how much of what it was saying the caller heard; `cancel`
   * tells the model when a response is still being generated. Undefined when it was silent.
   */
  stop(atMs: number, cancel: () => void): StoppedSpeech | undefined {
    const playing = this.#playout.active;
    const live = this.#live;
    if (!playing && live === undefined) return undefined;
    if (playing) this.#deps.leg.clear();
    const droppedFrames = this.#playout.clear();
    this.#framer.clear();
    // The resampler holds the cut response's last few milliseconds; they must not prefix the next one.
    this.#down?.reset();
    if (live !== undefined) {
      cancel();
      this.#cut.add(live);
    }
    const cut = playing ? this.#lastEnqueued : live;
    if (cut === undefined) return undefined;
    this.#cut.add(cut);
    const heardMs = this.#playout.heardMs(cut);
    this.#deps.transcript.agentInterrupted(cut, heardMs, atMs);
    return { responseId: cut, heardMs: Math.round(heardMs), droppedFrames };
  }

  whenDrained(): Promise<void> {
    return this.#playout.whenDrained();
  }

  close(): void {
    this.#playout.close();
  }

  #enqueue(tag: string, pcm: Int16Array): void {
    this.#lastEnqueued = tag;
    // Playout copies each frame into its queue, so the framer's views need not be new arrays.
    this.#framer.pushEach(pcm, (frame) => this.#playout.enqueue(frame, tag));
  }
}
