/**
 * The built-in RTP endpoint: a MediaLeg over one UDP socket carrying G.711 at 8 kHz.
 *
 * Inbound: datagram → RTCP/garbage/unknown-PT filter → symmetric-RTP source check → jitter
 * buffer (audio) or DTMF receiver (telephone-event) → 20 ms PCM16 frames and digits for the call.
 * Nothing a datagram contains can throw out of the socket handler; every rejection is a counter.
 *
 * Outbound: the call hands over paced 20 ms frames; they are encoded at once and queued, and the
 * shared RtpClock sends one packet per 20 ms slot. `clear()` empties the queue (barge-in is "stop
 * sending RTP"); hold and inactive pause sending.
 *
 * Lifecycle for the SIP layer: `readOffer` → `RtpLeg.open` (503 on RtpPortsExhaustedError) →
 * answer with `leg.localPort` → admission → `leg.attach(onEvent)`; re-INVITE → `leg.update`;
 * BYE or call end → `leg.close`.
 */
import { randomInt } from 'node:crypto';
import { Framer } from '../../audio/framer.js';
import type { MediaEvent, MediaLeg } from '../../call/media-leg.js';
import { directionReceives, directionSends, type MediaDirection } from '../sdp/media-direction.js';
import type { NegotiatedAudio } from '../sdp/negotiate-audio.js';
import { g711Payload, type G711Payload } from './g711-payload.js';
import { JitterBuffer } from './jitter-buffer.js';
import type { RtpPortSource } from './port-allocator.js';
import type { RtpClock } from './rtp-clock.js';
import { emptyRtpCounters, type RtpCounters } from './rtp-counters.js';
import { isRtcp, parseRtp, type RtpPacket } from './rtp-packet.js';
import { RtpSender } from './rtp-sender.js';
import { SourceLatch, type UdpAddress } from './source-latch.js';
import { DtmfReceiver } from './telephone-event.js';
import { bindUdpSocket, isAddressUnavailable, type BindRtpSocket, type RtpSocket } from './udp-socket.js';

const SAMPLE_RATE_HZ = 8000;
const FRAME_MS = 20;
const FRAME_SAMPLES = (SAMPLE_RATE_HZ * FRAME_MS) / 1000;

export interface RtpLegOptions {
  /** Interface address to bind (may differ from the address advertised in SDP behind NAT). */
  localAddress: string;
  audio: NegotiatedAudio;
  allocator: RtpPortSource;
  /** The process's shared send clock. */
  clock: RtpClock;
  bind?: BindRtpSocket;
  /** Uniform 32-bit integers for SSRC and the initial sequence number and timestamp. */
  random32?: () => number;
  /**
   * What goes out while the call has nothing to play. `silence` (default) keeps a continuous
   * stream: carriers' SBCs and PBXs commonly hang up after some seconds without RTP, and the
   * agent listens for most of a call. `none` sends only speech, talk-spurts starting with the
   * marker bit, for peers that prefer silence suppression.
   */
  idleAudio?: 'silence' | 'none';
  /** Reorder depth of the jitter buffer (default 60 ms). */
  jitterDepthMs?: number;
  /** Silence fed to the call after inbound RTP pauses (default 1000 ms; 0 disables). */
  silenceFillMs?: number;
  /** Send-queue bound (default 50 frames = 1 s). */
  maxQueuedFrames?: number;
  /** A silent latched source may be replaced by a new one after this long (default 1000 ms). */
  relatchAfterMs?: number;
  /** Report `onInactivity` after this long without inbound RTP while receiving; off by default. */
  inactivityTimeoutMs?: number;
  /** Called once per silent stretch, when it reaches `inactivityTimeoutMs`. */
  onInactivity?(silentMs: number): void;
  /** A callback (the call's event sink, onInactivity) threw; the leg carries on. */
  onError?(err: unknown): void;
  /** Ports to try when another process holds the allocated one (default 8). */
  bindAttempts?: number;
}

export class RtpLeg implements MediaLeg {
  readonly sampleRateHz = SAMPLE_RATE_HZ;
  readonly localPort: number;

  readonly #opts: RtpLegOptions;
  readonly #now: () => number;
  readonly #counters = emptyRtpCounters();
  readonly #latch: SourceLatch;
  readonly #sender: RtpSender;
  readonly #jitter: JitterBuffer;
  readonly #dtmf = new DtmfReceiver();
  readonly #framer = new Framer(FRAME_SAMPLES);
  #audio: NegotiatedAudio;
  #payload: G711Payload;
  #direction: MediaDirection;
  #socket: RtpSocket | undefined;
  #unsubscribe: (() => void) | undefined;
  #sink: ((event: MediaEvent) => void) | undefined;
  #remoteSsrc: number | undefined;
  #lastInboundMs: number;
  #inactivityReported = false;
  #closed = false;
  #closeReason: string | undefined;

  /**
   * Allocates a port, binds it and starts the send clock. Rejects with RtpPortsExhaustedError
   * when the range is used up, or with the bind error when the socket cannot be opened.
   */
  static async open(opts: RtpLegOptions): Promise<RtpLeg> {
    const bind = opts.bind ?? bindUdpSocket;
    const attempts = opts.bindAttempts ?? 8;
    let lastError: unknown;
    for (let attempt = 0; attempt < attempts; attempt++) {
      const port = opts.allocator.allocate();
      const leg = new RtpLeg(opts, port);
      try {
        const socket = await bind(opts.localAddress, port, {
          onMessage: (data, from) => leg.#onMessage(data, from),
          // ICMP errors from earlier sends surface here on some platforms.
          onError: () => (leg.#counters.sendErrors += 1),
        });
        leg.#start(socket);
        return leg;
      } catch (err) {
        opts.allocator.release(port);
        // Another process holds this port; the allocator will offer it again only much later.
        if (!isAddressUnavailable(err)) throw err;
        lastError = err;
      }
    }
    throw lastError;
  }

  private constructor(opts: RtpLegOptions, port: number) {
    this.#opts = opts;
    this.localPort = port;
    this.#now = () => opts.clock.now();
    this.#audio = opts.audio;
    this.#payload = g711Payload(opts.audio.codec);
    this.#direction = opts.audio.direction;
    this.#lastInboundMs = this.#now();
    this.#latch = new SourceLatch({ signalled: opts.audio.remote, relatchAfterMs: opts.relatchAfterMs ?? 1000 });
    const random32 = opts.random32 ?? (() => randomInt(0, 2 ** 32));
    const idle = opts.idleAudio ?? 'silence';
    this.#sender = new RtpSender({
      payloadType: opts.audio.payloadType,
      ssrc: random32(),
      initialSequence: random32() & 0xffff,
      initialTimestamp: random32(),
      samplesPerSlot: FRAME_SAMPLES,
      maxQueuedFrames: opts.maxQueuedFrames ?? 50,
      transmit: (packet) => this.#transmit(packet),
    });
    this.#setIdle(idle);
    this.#sender.setPaused(!directionSends(this.#direction));
    this.#jitter = new JitterBuffer({
      depthMs: opts.jitterDepthMs ?? 60,
      packetMs: FRAME_MS,
      silenceFillMs: opts.silenceFillMs ?? 1000,
      emit: (pcm) => this.#deliverPcm(pcm),
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  get closeReason(): string | undefined {
    return this.#closeReason;
  }

  get direction(): MediaDirection {
    return this.#direction;
  }

  /** Where RTP goes now (the latched source, else the SDP's address). */
  get remoteTarget(): UdpAddress | undefined {
    return this.#latch.target;
  }

  get queuedFrames(): number {
    return this.#sender.queuedFrames;
  }

  get counters(): Readonly<RtpCounters> {
    const jitter = this.#jitter.counters;
    return {
      ...this.#counters,
      lost: jitter.lost,
      late: jitter.late,
      duplicates: jitter.duplicates,
      silenceFillFrames: jitter.filledFrames,
      framesDropped: this.#sender.framesDropped,
    };
  }

  /** Where inbound audio and digits go once the call has admitted this leg; before, they are dropped. */
  attach(onEvent: (event: MediaEvent) => void): void {
    this.#sink = onEvent;
  }

  sendAudio(frame: Int16Array): void {
    if (this.#closed) return;
    if (frame.length === FRAME_SAMPLES) {
      this.#sender.enqueue(this.#payload.encode(frame));
      return;
    }
    // The call sends 20 ms frames; anything else is cut (and the tail padded) to the packet size.
    for (let start = 0; start < frame.length; start += FRAME_SAMPLES) {
      const chunk = new Int16Array(FRAME_SAMPLES);
      chunk.set(frame.subarray(start, start + FRAME_SAMPLES));
      this.#sender.enqueue(this.#payload.encode(chunk));
    }
  }

  clear(): void {
    this.#sender.clear();
  }

  /** Our direction as answered (re-INVITE hold/resume): pauses or resumes sending and receiving. */
  setDirection(direction: MediaDirection): void {
    const wasReceiving = directionReceives(this.#direction);
    this.#direction = direction;
    this.#sender.setPaused(!directionSends(direction));
    if (directionReceives(direction) && !wasReceiving) {
      // Silence while we were not listening is not inactivity.
      this.#lastInboundMs = this.#now();
      this.#inactivityReported = false;
    }
  }

  /** Apply a re-INVITE's negotiation: remote address, codec, telephone-event and direction. */
  update(audio: NegotiatedAudio): void {
    if (audio.codec !== this.#audio.codec || audio.payloadType !== this.#audio.payloadType) {
      // Frames queued in the old encoding must not go out under the new payload type.
      this.#sender.clear();
      this.#payload = g711Payload(audio.codec);
      this.#sender.payloadType = audio.payloadType;
      this.#setIdle(this.#opts.idleAudio ?? 'silence');
    }
    this.#audio = audio;
    this.#latch.setSignalled(audio.remote);
    this.setDirection(audio.direction);
  }

  close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeReason = reason;
    this.#unsubscribe?.();
    this.#sender.clear();
    this.#socket?.close();
    this.#opts.allocator.release(this.localPort);
  }

  #setIdle(idle: 'silence' | 'none'): void {
    this.#sender.idlePayload = idle === 'silence' ? this.#payload.silenceFrame : undefined;
  }

  #start(socket: RtpSocket): void {
    this.#socket = socket;
    this.#unsubscribe = this.#opts.clock.subscribe((slot, nowMs) => this.#onSlot(slot, nowMs));
  }

  #onSlot(slot: number, nowMs: number): void {
    if (this.#closed) return;
    this.#sender.onSlot(slot);
    this.#jitter.poll(nowMs);
    this.#checkInactivity(nowMs);
  }

  #transmit(packet: Buffer): void {
    const target = this.#latch.target;
    if (!target || !this.#socket) return;
    try {
      this.#socket.send(packet, target, () => (this.#counters.sendErrors += 1));
      this.#counters.packetsOut += 1;
    } catch {
      this.#counters.sendErrors += 1;
    }
  }

  #onMessage(data: Buffer, from: UdpAddress): void {
    if (this.#closed) return;
    if (isRtcp(data)) {
      this.#counters.rtcpIn += 1;
      return;
    }
    const parsed = parseRtp(data);
    if (!parsed.ok) {
      this.#counters.garbage += 1;
      return;
    }
    this.#receive(parsed.packet, from);
  }

  #receive(packet: RtpPacket, from: UdpAddress): void {
    const audio = packet.payloadType === this.#audio.payloadType;
    const dtmf = packet.payloadType === this.#audio.telephoneEventPayloadType;
    // Checked before latching: a stream we cannot decode must not capture the send target.
    if (!audio && !dtmf) {
      this.#counters.unknownPayloadType += 1;
      return;
    }
    const now = this.#now();
    const latch = this.#latch.accept(from, now);
    if (latch === 'foreign') {
      this.#counters.foreignSource += 1;
      return;
    }
    if (latch === 'latched') this.#counters.sourceLatches += 1;
    this.#counters.packetsIn += 1;
    this.#lastInboundMs = now;
    this.#inactivityReported = false;
    if (packet.ssrc !== this.#remoteSsrc) {
      // A new SSRC has its own sequence and timestamp spaces.
      if (this.#remoteSsrc !== undefined) {
        this.#jitter.reset();
        this.#dtmf.reset();
      }
      this.#remoteSsrc = packet.ssrc;
    }
    if (!directionReceives(this.#direction)) return;
    if (dtmf) {
      // The event occupies sequence numbers; the jitter buffer must not conceal them as loss.
      this.#jitter.push(packet.sequenceNumber, undefined, now);
      const digit = this.#dtmf.receive(packet.timestamp, packet.payload);
      if (digit !== undefined) {
        this.#counters.dtmfDigits += 1;
        this.#deliver({ type: 'dtmf', digit });
      }
      return;
    }
    const pcm = packet.payload.length > 0 ? this.#payload.decode(packet.payload) : undefined;
    this.#jitter.push(packet.sequenceNumber, pcm, now);
  }

  #deliverPcm(pcm: Int16Array): void {
    for (const frame of this.#framer.push(pcm)) this.#deliver({ type: 'audio', pcm: frame });
  }

  #deliver(event: MediaEvent): void {
    if (!this.#sink) return;
    try {
      this.#sink(event);
    } catch (err) {
      this.#opts.onError?.(err);
    }
  }

  #checkInactivity(nowMs: number): void {
    const timeoutMs = this.#opts.inactivityTimeoutMs;
    if (timeoutMs === undefined || this.#inactivityReported || !directionReceives(this.#direction)) return;
    const silentMs = nowMs - this.#lastInboundMs;
    if (silentMs < timeoutMs) return;
    this.#inactivityReported = true;
    try {
      this.#opts.onInactivity?.(silentMs);
    } catch (err) {
      this.#opts.onError?.(err);
    }
  }
}
