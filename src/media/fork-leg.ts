/**
 * A MediaLeg over one fork WebSocket. The call paces its 20 ms frames; the leg encodes each for
 * the dialect and sends it at once. It never queues: if the socket cannot keep up, frames are
 * dropped and counted, because audio that arrives seconds late is worse than a gap and an
 * unbounded buffer is how one slow carrier takes the process's memory with it.
 */
import type { MediaLeg, TransferOptions, TransferOutcome } from '../call/media-leg.js';
import { CloseCode, closeReason } from './close-codes.js';

/** The part of a ws WebSocket the leg uses, so tests can drive it with a fake. */
export interface LegSocket {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: string | Buffer): void;
  close(code: number, reason: string): void;
}

/** How one dialect writes the leg's commands on the wire. */
export interface LegWire {
  audio(frame: Int16Array): string | Buffer;
  clear(): string;
  mark(name: string): string;
}

/** A platform action that hands the call to `destination` (Twilio: update the call with <Dial>). */
export type PlatformTransfer = (destination: string, opts: TransferOptions) => Promise<TransferOutcome>;

export interface ForkLegOptions {
  sampleRateHz: number;
  /** Set when the platform can transfer this call itself; otherwise the agent's webhook is used. */
  transfer?: PlatformTransfer;
  wire: LegWire;
  /** Audio the socket may hold unsent before frames are dropped. */
  maxBufferedAudioMs: number;
  onDroppedFrame(): void;
}

const OPEN = 1;

export class ForkLeg implements MediaLeg {
  readonly sampleRateHz: number;
  #socket: LegSocket;
  #opts: ForkLegOptions;
  #closed = false;
  #droppedFrames = 0;
  #transferring: Promise<TransferOutcome> | undefined;
  /** Present only when the platform can transfer (the call falls back to the webhook otherwise). */
  readonly transfer?: (destination: string, opts: TransferOptions) => Promise<TransferOutcome>;

  constructor(socket: LegSocket, opts: ForkLegOptions) {
    this.#socket = socket;
    this.#opts = opts;
    this.sampleRateHz = opts.sampleRateHz;
    const platform = opts.transfer;
    if (platform !== undefined) {
      this.transfer = (destination, transferOpts) => {
        const attempt = platform(destination, transferOpts);
        this.#transferring = attempt;
        void attempt.finally(() => {
          if (this.#transferring === attempt) this.#transferring = undefined;
        });
        return attempt;
      };
    }
  }

  /**
   * The platform transfer under way, if any. A platform that moves the call ends our stream
   * (Twilio sends `stop`) before its API has answered; the stream's end must wait for that
   * answer, or a completed transfer would be recorded as the caller hanging up.
   */
  get transferInFlight(): Promise<TransferOutcome> | undefined {
    return this.#transferring;
  }

  /** True once the call closed the leg or the connection is going away: no more events or sends. */
  get closed(): boolean {
    return this.#closed;
  }

  get droppedFrames(): number {
    return this.#droppedFrames;
  }

  sendAudio(frame: Int16Array): void {
    if (this.#closed || frame.length === 0 || this.#socket.readyState !== OPEN) return;
    const data = this.#opts.wire.audio(frame);
    const bytes = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    // Budget in wire bytes for this dialect: what maxBufferedAudioMs of frames like this one weigh.
    const frameMs = (frame.length * 1000) / this.sampleRateHz;
    const budgetBytes = (bytes * this.#opts.maxBufferedAudioMs) / frameMs;
    if (this.#socket.bufferedAmount + bytes > budgetBytes) {
      this.#droppedFrames += 1;
      this.#opts.onDroppedFrame();
      return;
    }
    this.#socket.send(data);
  }

  /** Control is never dropped for backpressure: a barge-in that does not arrive is worse than late audio. */
  clear(): void {
    if (this.#closed || this.#socket.readyState !== OPEN) return;
    this.#socket.send(this.#opts.wire.clear());
  }

  mark(name: string): void {
    if (this.#closed || this.#socket.readyState !== OPEN) return;
    this.#socket.send(this.#opts.wire.mark(name));
  }

  close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    // The call's end reason travels as the close reason; a stream the call shut for sending
    // faster than real time broke the stream's contract, which is what 1008 says.
    const code = reason === 'media_overrun' ? CloseCode.policyViolation : CloseCode.normal;
    this.#socket.close(code, closeReason(reason));
  }

  /**
   * The connection is ending for another reason (protocol error, shutdown, the peer closed):
   * stop sending and make a later close() from the call a no-op, so the close code that
   * explains the failure is the one the peer sees.
   */
  detach(): void {
    this.#closed = true;
  }
}
