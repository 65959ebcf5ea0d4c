/**
 * Receive-side reordering for one RTP stream, releasing audio as soon as it is in order.
 *
 * Why "as packets complete" and not on a playout cadence: the consumer is a speech model behind
 * a WebSocket, not a sound card. It needs audio in order and the right amount of it (its VAD
 * measures silence in samples), but gains nothing from isochronous delivery, and a cadence-driven
 * buffer would add its full depth plus up to one tick to every turn. Here an in-order packet
 * costs no delay at all; only a gap makes later packets wait, for at most `depthMs`.
 *
 * - A gap is concealed once the oldest packet waiting behind it has waited `depthMs` (checked on
 *   arrivals and by `poll`, which the leg calls every 20 ms), or once more than `depthMs` of
 *   audio is waiting (a burst).
 *   Concealment keeps the sample count right: the first missing packet repeats the previous one
 *   at half amplitude (smooths a single loss), further ones are silence (a repeated buzz would be
 *   worse than a gap, and the model hears silence as silence).
 * - A packet older than the next expected one is a duplicate (it was already released) or late
 *   (its slot was concealed) and is dropped.
 * - A jump of more than `RESYNC_PACKETS` either way is a restarted sender, not reordering: the
 *   buffer starts over at the new sequence number instead of dropping minutes of "late" audio.
 * - Silence fill: phones with voice activity detection stop sending while their user is quiet.
 *   The model's server VAD would then never see the end of a turn, so when the stream pauses the
 *   buffer feeds silence in real time for up to `silenceFillMs`, then stops, so that a dead
 *   stream still looks dead to the call's media timeout.
 */
import { sequenceDelta } from './rtp-packet.js';

export interface JitterBufferOptions {
  /** Longest a packet waits for a missing predecessor (also the reorder depth). */
  depthMs: number;
  /** Duration of one packet (20 ms); converts a buffered span of packets into time. */
  packetMs: number;
  /** How long to feed silence after packets stop arriving; 0 disables the fill. */
  silenceFillMs: number;
  /** Receives released audio, in order, one packet's worth at a time. */
  emit(pcm: Int16Array): void;
}

export type PushOutcome = 'accepted' | 'duplicate' | 'late';

export interface JitterCounters {
  /** Packets concealed because they had not arrived in time. */
  lost: number;
  /** Packets that arrived after their slot was concealed. */
  late: number;
  duplicates: number;
  /** Sequence jumps treated as a restarted stream. */
  resyncs: number;
  /** Silence frames fed while the far end sent nothing. */
  filledFrames: number;
}

interface Buffered {
  /** Undefined for packets that occupy a sequence number but carry no audio (telephone-event). */
  pcm: Int16Array | undefined;
  arrivedMs: number;
}

const RESYNC_PACKETS = 100;
const RELEASED_MEMORY = 128;
const DEFAULT_PACKET_SAMPLES = 160;

export class JitterBuffer {
  readonly #opts: JitterBufferOptions;
  readonly #buffered = new Map<number, Buffered>();
  /** Sequence numbers recently released with their own packet (tells duplicates from late). */
  readonly #released = new Int32Array(RELEASED_MEMORY).fill(-1);
  #nextSeq: number | undefined;
  #lastPcm: Int16Array | undefined;
  #consecutiveLosses = 0;
  #lastArrivalMs = 0;
  /** Silence frames fed since the last packet arrived. */
  #fillFrames = 0;
  readonly #counters: JitterCounters = { lost: 0, late: 0, duplicates: 0, resyncs: 0, filledFrames: 0 };

  constructor(opts: JitterBufferOptions) {
    this.#opts = opts;
  }

  get counters(): Readonly<JitterCounters> {
    return this.#counters;
  }

  get bufferedPackets(): number {
    return this.#buffered.size;
  }

  push(seq: number, pcm: Int16Array | undefined, nowMs: number): PushOutcome {
    this.#nextSeq ??= seq;
    const delta = sequenceDelta(seq, this.#nextSeq);
    if (delta < -RESYNC_PACKETS || delta > RESYNC_PACKETS) {
      this.#resync(seq);
    } else if (delta < 0) {
      if (this.#released[seq % RELEASED_MEMORY] === seq) {
        this.#counters.duplicates += 1;
        return 'duplicate';
      }
      this.#counters.late += 1;
      return 'late';
    } else if (this.#buffered.has(seq)) {
      this.#counters.duplicates += 1;
      return 'duplicate';
    } else if (this.#fillFrames > 0) {
      // The pause was already filled with silence in real time; concealing the packets lost
      // during it would count that time twice.
      this.#counters.lost += delta;
      this.#nextSeq = seq;
    }
    this.#fillFrames = 0;
    this.#lastArrivalMs = nowMs;
    this.#buffered.set(seq, { pcm, arrivedMs: nowMs });
    this.#drain(nowMs);
    return 'accepted';
  }

  /** Conceal gaps whose wait is over and feed silence through pauses. Call every packet time. */
  poll(nowMs: number): void {
    if (this.#nextSeq === undefined) return;
    this.#drain(nowMs);
    if (this.#buffered.size > 0 || this.#opts.silenceFillMs <= 0) return;
    // Allow the usual jitter before deciding the far end has paused.
    const pausedMs = nowMs - this.#lastArrivalMs - this.#opts.packetMs - this.#opts.depthMs;
    const dueFrames = Math.floor(Math.min(pausedMs, this.#opts.silenceFillMs) / this.#opts.packetMs);
    const samples = this.#lastPcm?.length ?? DEFAULT_PACKET_SAMPLES;
    for (; this.#fillFrames < dueFrames; this.#fillFrames++) {
      this.#counters.filledFrames += 1;
      this.#opts.emit(new Int16Array(samples));
    }
  }

  /** Forget the stream (its SSRC changed): release what is buffered, in order, then start over. */
  reset(): void {
    this.#flushInOrder();
    this.#nextSeq = undefined;
    this.#released.fill(-1);
    this.#fillFrames = 0;
    this.#consecutiveLosses = 0;
  }

  #resync(seq: number): void {
    this.#counters.resyncs += 1;
    this.#flushInOrder();
    this.#released.fill(-1);
    this.#nextSeq = seq;
  }

  #flushInOrder(): void {
    if (this.#nextSeq === undefined) return;
    const from = this.#nextSeq;
    const order = [...this.#buffered.keys()].sort((a, b) => sequenceDelta(a, from) - sequenceDelta(b, from));
    for (const seq of order) this.#release(seq, this.#buffered.get(seq)!);
    this.#buffered.clear();
  }

  #drain(nowMs: number): void {
    while (this.#nextSeq !== undefined && this.#buffered.size > 0) {
      const seq = this.#nextSeq;
      const entry = this.#buffered.get(seq);
      if (entry) {
        this.#buffered.delete(seq);
        this.#release(seq, entry);
      } else if (this.#gapExpired(nowMs)) {
        this.#conceal(seq);
      } else {
        return;
      }
      this.#nextSeq = (seq + 1) & 0xffff;
    }
  }

  /** True when waiting any longer for the missing packet would hold the ones behind it beyond depth. */
  #gapExpired(nowMs: number): boolean {
    // A burst can fill the buffer faster than time passes: its size is a second measure of the wait.
    if (this.#buffered.size * this.#opts.packetMs > this.#opts.depthMs) return true;
    let oldestArrivalMs = Infinity;
    for (const entry of this.#buffered.values()) oldestArrivalMs = Math.min(oldestArrivalMs, entry.arrivedMs);
    return nowMs - oldestArrivalMs >= this.#opts.depthMs;
  }

  #release(seq: number, entry: Buffered): void {
    this.#released[seq % RELEASED_MEMORY] = seq;
    if (entry.pcm === undefined) return;
    this.#consecutiveLosses = 0;
    this.#lastPcm = entry.pcm;
    this.#opts.emit(entry.pcm);
  }

  #conceal(seq: number): void {
    this.#released[seq % RELEASED_MEMORY] = -1;
    this.#counters.lost += 1;
    this.#consecutiveLosses += 1;
    const previous = this.#lastPcm;
    const pcm = new Int16Array(previous?.length ?? DEFAULT_PACKET_SAMPLES);
    if (previous && this.#consecutiveLosses === 1) {
      for (let i = 0; i < pcm.length; i++) pcm[i] = previous[i]! >> 1;
    }
    this.#opts.emit(pcm);
  }
}
