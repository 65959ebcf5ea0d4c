/**
 * The outbound half of an RTP stream: a short queue of encoded 20 ms payloads drained at exactly
 * one packet per clock slot.
 *
 * The call already paces frames on its own grid with a small lead, so the queue normally holds
 * that lead (about three frames) and `clear()` is a real barge-in: whatever is queued here never
 * reaches the wire. Timestamps are derived from the slot number, not from a packet count, so
 * they advance with elapsed time across silence gaps, holds and skipped slots, as RFC 3550
 * requires of a sampling clock.
 */
import type { RtpHeader } from './rtp-packet.js';
import { serializeRtp } from './rtp-packet.js';

export interface RtpSenderOptions {
  payloadType: number;
  ssrc: number;
  /** First sequence number (random, RFC 3550 §5.1). */
  initialSequence: number;
  /** Timestamp of the first slot (random, RFC 3550 §5.1). */
  initialTimestamp: number;
  /** Samples per slot at the payload's clock rate: 160 for 20 ms at 8 kHz. */
  samplesPerSlot: number;
  /**
   * Payload sent in slots with nothing queued, or undefined to send nothing then. Continuous
   * silence keeps carriers' RTP-inactivity timers and NAT bindings happy; see RtpLegOptions.
   */
  idlePayload?: Uint8Array;
  /** Queue bound; frames beyond it are dropped (the call pacing correctly never gets near it). */
  maxQueuedFrames: number;
  transmit(packet: Buffer): void;
}

export class RtpSender {
  readonly #opts: RtpSenderOptions;
  #payloadType: number;
  #queue: Uint8Array[] = [];
  #head = 0;
  #sequence: number;
  #firstSlot: number | undefined;
  /** The previous slot sent nothing: the next packet starts a talk-spurt (marker bit). */
  #gap = true;
  #paused = false;
  #idlePayload: Uint8Array | undefined;
  #packetsSent = 0;
  #framesDropped = 0;

  constructor(opts: RtpSenderOptions) {
    this.#opts = opts;
    this.#payloadType = opts.payloadType;
    this.#sequence = opts.initialSequence & 0xffff;
    this.#idlePayload = opts.idlePayload;
  }

  get packetsSent(): number {
    return this.#packetsSent;
  }

  get framesDropped(): number {
    return this.#framesDropped;
  }

  get queuedFrames(): number {
    return this.#queue.length - this.#head;
  }

  set payloadType(payloadType: number) {
    this.#payloadType = payloadType;
  }

  /** What to send in slots with nothing queued (undefined: send nothing). */
  set idlePayload(payload: Uint8Array | undefined) {
    this.#idlePayload = payload;
  }

  /** Queue one slot's payload. Returns false when the queue is full or sending is paused. */
  enqueue(payload: Uint8Array): boolean {
    // On hold nothing is sent; keeping the frames would replay stale speech on resume.
    if (this.#paused) return false;
    if (this.queuedFrames >= this.#opts.maxQueuedFrames) {
      this.#framesDropped += 1;
      return false;
    }
    this.#queue.push(payload);
    return true;
  }

  /** Drop everything queued (barge-in). Returns how many frames were dropped. */
  clear(): number {
    const dropped = this.queuedFrames;
    this.#queue = [];
    this.#head = 0;
    return dropped;
  }

  /** Stop (hold, inactive) or resume sending. Pausing drops the queue. */
  setPaused(paused: boolean): void {
    this.#paused = paused;
    if (paused) this.clear();
  }

  /** Called once per clock slot: sends at most one packet. */
  onSlot(slot: number): void {
    this.#firstSlot ??= slot;
    const payload = this.#paused ? undefined : this.#next();
    if (payload === undefined) {
      this.#gap = true;
      return;
    }
    const header: RtpHeader = {
      marker: this.#gap,
      payloadType: this.#payloadType,
      sequenceNumber: this.#sequence,
      timestamp: (this.#opts.initialTimestamp + (slot - this.#firstSlot) * this.#opts.samplesPerSlot) >>> 0,
      ssrc: this.#opts.ssrc,
    };
    this.#gap = false;
    this.#sequence = (this.#sequence + 1) & 0xffff;
    this.#packetsSent += 1;
    this.#opts.transmit(serializeRtp(header, payload));
  }

  #next(): Uint8Array | undefined {
    if (this.#head < this.#queue.length) {
      const payload = this.#queue[this.#head]!;
      this.#head += 1;
      // The queue rarely runs empty while the call is talking; compact so it cannot creep.
      if (this.#head >= 32) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      return payload;
    }
    return this.#idlePayload;
  }
}
