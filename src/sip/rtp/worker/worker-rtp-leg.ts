/**
 * The main thread's side of a stream that runs in the RTP I/O thread: the same surface as RtpLeg
 * for the SIP layer and the call, with none of the RTP work. Frames and commands go to the thread
 * through WorkerRtp (batched per macrotask); inbound audio, digits and reports come back from it.
 *
 * `clear()` is the barge-in, and it does not wait for the batch: the stream's frames not yet
 * posted are dropped here and the clear is posted at once; the thread drops the stream's queue on
 * receipt. What can still reach the caller is what was on the wire already plus at most the
 * packet the thread's clock sends before the message is read.
 */
import { emptyRtpCounters, type RtpCounters } from '../rtp-counters.js';
import type { MediaEvent } from '../../../call/media-leg.js';
import type { MediaDirection } from '../../sdp/media-direction.js';
import type { NegotiatedAudio } from '../../sdp/negotiate-audio.js';
import type { RtpStream, RtpStreamRequest } from '../rtp-stream.js';
import type { StreamCommand } from './rtp-thread-protocol.js';

/** What a leg needs of WorkerRtp. */
export interface RtpThreadLink {
  /** Queue a frame for the next batch. */
  sendFrame(stream: number, frame: Int16Array): void;
  /** Queue a command for the next batch (after the frames queued before it). */
  command(command: StreamCommand): void;
  /** Drop the stream's frames not yet posted, then post everything pending with `command`, now. */
  commandNow(command: StreamCommand): void;
  /** The stream is over on this side: give its port back. */
  release(port: number): void;
}

type LegState = { kind: 'open' } | { kind: 'closed'; reason: string } | { kind: 'failed'; detail: string; reported: boolean };

export class WorkerRtpLeg implements RtpStream {
  readonly sampleRateHz = 8000;
  readonly localPort: number;
  readonly stream: number;
  readonly #link: RtpThreadLink;
  readonly #request: RtpStreamRequest;
  #state: LegState = { kind: 'open' };
  #sink: ((event: MediaEvent) => void) | undefined;
  #counters: RtpCounters = emptyRtpCounters();

  constructor(stream: number, port: number, link: RtpThreadLink, request: RtpStreamRequest) {
    this.stream = stream;
    this.localPort = port;
    this.#link = link;
    this.#request = request;
  }

  get closed(): boolean {
    return this.#state.kind !== 'open';
  }

  get counters(): Readonly<RtpCounters> {
    return this.#counters;
  }

  attach(onEvent: (event: MediaEvent) => void): void {
    this.#sink = onEvent;
    const state = this.#state;
    // The thread died between the answer and admission: the call learns it as soon as it exists.
    if (state.kind === 'failed' && !state.reported) queueMicrotask(() => this.#reportFailure());
  }

  sendAudio(frame: Int16Array): void {
    if (this.#state.kind !== 'open') return;
    this.#link.sendFrame(this.stream, frame);
  }

  clear(): void {
    if (this.#state.kind !== 'open') return;
    this.#link.commandNow({ op: 'clear', stream: this.stream });
  }

  setDirection(direction: MediaDirection): void {
    if (this.#state.kind !== 'open') return;
    this.#link.command({ op: 'direction', stream: this.stream, direction });
  }

  update(audio: NegotiatedAudio): void {
    if (this.#state.kind !== 'open') return;
    this.#link.command({ op: 'update', stream: this.stream, audio });
  }

  close(reason: string): void {
    if (this.#state.kind !== 'open') return;
    this.#state = { kind: 'closed', reason };
    this.#link.commandNow({ op: 'close', stream: this.stream, reason });
    this.#link.release(this.localPort);
  }

  // From the thread, through WorkerRtp.

  deliver(event: MediaEvent): void {
    if (this.#state.kind !== 'open' || this.#sink === undefined) return;
    try {
      this.#sink(event);
    } catch (err) {
      this.#request.onError?.(err);
    }
  }

  inactivity(silentMs: number): void {
    if (this.#state.kind !== 'open') return;
    try {
      this.#request.onInactivity?.(silentMs);
    } catch (err) {
      this.#request.onError?.(err);
    }
  }

  setCounters(counters: RtpCounters): void {
    this.#counters = counters;
  }

  /** The stream is gone with no close of ours (the thread died, or broke this stream): the call must end. */
  fail(detail: string): void {
    if (this.#state.kind !== 'open') return;
    this.#state = { kind: 'failed', detail, reported: false };
    this.#link.release(this.localPort);
    if (this.#sink !== undefined) this.#reportFailure();
  }

  #reportFailure(): void {
    const state = this.#state;
    if (state.kind !== 'failed' || state.reported || this.#sink === undefined) return;
    state.reported = true;
    try {
      this.#sink({ type: 'media_failed', detail: state.detail });
    } catch (err) {
      this.#request.onError?.(err);
    }
  }
}
