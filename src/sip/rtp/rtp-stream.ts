/**
 * What the SIP layer holds of a call's RTP, whichever thread runs it: `RtpLeg` on this thread's
 * event loop (`sip.rtp.sendThread: main`), or `WorkerRtpLeg`, a stand-in for an `RtpLeg` that
 * runs in the RTP I/O thread (`worker`, the default). The invite handler opens streams through
 * `RtpStreams` and never knows which.
 */
import type { MediaEvent } from '../../call/media-leg.js';
import type { MediaDirection } from '../sdp/media-direction.js';
import type { NegotiatedAudio } from '../sdp/negotiate-audio.js';
import type { RtpCounters } from './rtp-counters.js';
import type { SlotTimingSummary } from './slot-timing.js';

export interface RtpStream {
  readonly sampleRateHz: number;
  readonly localPort: number;
  readonly closed: boolean;
  /** Main-thread legs read these live; a worker's are a snapshot at most a few slots old. */
  readonly counters: Readonly<RtpCounters>;
  /** Where inbound audio and digits go once the call has admitted this stream; before, they are dropped. */
  attach(onEvent: (event: MediaEvent) => void): void;
  sendAudio(frame: Int16Array): void;
  /** Barge-in: nothing queued for this stream reaches the wire any more. */
  clear(): void;
  setDirection(direction: MediaDirection): void;
  /** A re-INVITE's negotiation: remote address, codec, telephone-event and direction. */
  update(audio: NegotiatedAudio): void;
  close(reason: string): void;
}

export interface RtpStreamRequest {
  audio: NegotiatedAudio;
  /** Report `onInactivity` after this long without inbound RTP while receiving; off when absent. */
  inactivityTimeoutMs?: number;
  onInactivity?(silentMs: number): void;
  /** A callback (the call's event sink, onInactivity) threw; the stream carries on. */
  onError?(err: unknown): void;
}

/** What runs a process's RTP streams, and what it holds (for leak checks). */
export interface RtpStreamsInspection {
  thread: 'main' | 'worker';
  /** Streams open (sockets bound, on the send clock). */
  streams: number;
  /** The RTP thread's own handles by kind (`UDPWrap`, `Timeout`, …); absent on the main thread. */
  threadHandles?: Record<string, number>;
  /** How late the send clock ran its slots, since it started or was last reset. */
  sendClock: SlotTimingSummary;
}

export interface RtpStreams {
  readonly thread: 'main' | 'worker';
  /**
   * Allocates a port, binds it (trying other ports when another process holds one) and starts
   * sending. Rejects with RtpPortsExhaustedError when the range is used up, or with the bind error.
   */
  open(request: RtpStreamRequest): Promise<RtpStream>;
  /** Ports held by open streams and streams being opened; given back the moment a stream closes. */
  readonly portsInUse: number;
  /** `resetSendClock`: start the send clock's timing afresh once read (a benchmark's window). */
  inspect(options?: { resetSendClock?: boolean }): Promise<RtpStreamsInspection>;
  /** Shutdown: every stream stops; the RTP thread, if any, is ended. */
  close(): Promise<void>;
}
