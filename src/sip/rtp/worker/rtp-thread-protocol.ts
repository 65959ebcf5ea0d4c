/**
 * The messages between the main thread (WorkerRtp) and the RTP I/O thread (rtp-thread.ts).
 *
 * Messages are few and carry many streams each: one message per 20 ms slot from the thread (every
 * stream's inbound audio, digits and reports), one per macrotask from the main thread (every
 * frame the calls' playouts released in it), plus one at once for a barge-in or a close. Audio
 * travels as one Int16Array per message whose buffer is transferred, not copied; an index says
 * which stream each frame belongs to. Commands and reports carry `afterFrame`, the number of the
 * message's frames that came before them, so a stream sees frames and commands in the order the
 * other side produced them (a frame queued after a `clear` must survive it).
 */
import type { MediaDirection } from '../../sdp/media-direction.js';
import type { NegotiatedAudio } from '../../sdp/negotiate-audio.js';
import type { RtpCounters } from '../rtp-counters.js';
import type { SlotTimingSummary } from '../slot-timing.js';

/** The thread's settings, passed as workerData. */
export interface RtpThreadSettings {
  /** Interface address to bind. */
  localAddress: string;
  idleAudio: 'silence' | 'none';
}

/**
 * Frames of several streams, back to back in `pcm`; `index` holds a (stream id, sample count)
 * pair per frame, in order. Both buffers are transferred.
 */
export interface FrameBatch {
  pcm: Int16Array;
  index: Int32Array;
}

export type StreamCommand =
  | { op: 'clear'; stream: number }
  | { op: 'direction'; stream: number; direction: MediaDirection }
  | { op: 'update'; stream: number; audio: NegotiatedAudio }
  | { op: 'close'; stream: number; reason: string };

/** Applied once the first `afterFrame` frames of its message have been. */
export type OrderedCommand = StreamCommand & { afterFrame: number };

export type ToRtpThread =
  /** Bind `port` (allocated on the main thread) and start the stream; answered by opened/open_failed. */
  | { type: 'open'; stream: number; port: number; audio: NegotiatedAudio; inactivityTimeoutMs: number | null }
  | { type: 'send'; frames: FrameBatch; commands: OrderedCommand[] }
  /** What the thread holds (leak checks) and how late its clock ran; answered by `inspected`. */
  | { type: 'inspect'; request: number; resetSendClock: boolean };

export type StreamReport =
  | { kind: 'dtmf'; stream: number; digit: string }
  | { kind: 'inactivity'; stream: number; silentMs: number }
  /** The stream broke inside the thread (a bug, not the network) and was closed there: its call must end. */
  | { kind: 'failed'; stream: number; message: string }
  /**
   * The thread has closed the stream as asked; its last counters (null when the thread no longer
   * had it: it had failed meanwhile). Always answers a close, so the main side can forget the stream.
   */
  | { kind: 'closed'; stream: number; counters: RtpCounters | null };

/** Applied once the first `afterFrame` frames of its message have been delivered. */
export type OrderedReport = StreamReport & { afterFrame: number };

export interface CountersSnapshot {
  stream: number;
  counters: RtpCounters;
}

export type FromRtpThread =
  | { type: 'opened'; stream: number }
  /** `code`: the bind error's (EADDRINUSE, EACCES, …): the main thread tries another port for those. */
  | { type: 'open_failed'; stream: number; code: string | null; message: string }
  /** One slot's worth: inbound audio and reports of every stream, counters now and then. */
  | { type: 'slot'; frames: FrameBatch; reports: OrderedReport[]; counters: CountersSnapshot[] }
  | { type: 'inspected'; request: number; streams: number; handles: Record<string, number>; sendClock: SlotTimingSummary };
