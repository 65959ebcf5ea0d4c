/**
 * Two Twilio Media Streams callers for the flood measurements (the flood test and
 * `npm run bench:flood`): a healthy one that sends a 20 ms frame every 20 ms and notes when each
 * agent frame reaches it, and a flooder that sends large media messages as fast as the socket
 * drains, the attack a hostile or broken peer can mount once it knows the media token.
 */
import WebSocket, { type RawData } from 'ws';

const RATE_HZ = 8000;
/** mu-law silence: the healthy caller must not trigger the model's VAD (no barge-in). */
const SILENCE_BYTE = 0xff;

function opening(streamSid: string, to: string): string[] {
  return [
    JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }),
    JSON.stringify({
      event: 'start',
      sequenceNumber: '1',
      streamSid,
      start: {
        streamSid,
        accountSid: 'AC00000000000000000000000000000000',
        callSid: `CA${streamSid.slice(2)}`,
        tracks: ['inbound'],
        customParameters: { to, from: '+15550199' },
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: RATE_HZ, channels: 1 },
      },
    }),
  ];
}

function mediaMessage(streamSid: string, payloadBase64: string): string {
  return `{"event":"media","sequenceNumber":"2","media":{"track":"inbound","chunk":"1","timestamp":"0","payload":"${payloadBase64}"},"streamSid":"${streamSid}"}`;
}

function connect(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('open', () => {
      ws.off('error', reject);
      // Later errors end in 'close'; without a listener ws would throw them.
      ws.on('error', () => ws.terminate());
      resolve(ws);
    });
  });
}

export interface StreamClose {
  code: number;
  reason: string;
}

function closed(ws: WebSocket): Promise<StreamClose> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

/** A caller that behaves: one 20 ms frame of silence per 20 ms, on absolute due times. */
export class PacedCaller {
  /** performance.now() of every agent media message that reached the caller. */
  readonly agentFrameAtMs: number[] = [];
  readonly closed: Promise<StreamClose>;
  #ws: WebSocket;
  #streamSid: string;
  #timer: NodeJS.Timeout | undefined;
  #framesSent = 0;

  private constructor(ws: WebSocket, streamSid: string) {
    this.#ws = ws;
    this.#streamSid = streamSid;
    this.closed = closed(ws);
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const atMs = performance.now();
      // Only the bridge's media messages start like this; no need to parse every frame.
      if (!isBinary && Buffer.isBuffer(data) && data.toString('utf8', 0, 17) === '{"event":"media",') this.agentFrameAtMs.push(atMs);
    });
  }

  static async connect(url: string, streamSid: string, to = '+15550100'): Promise<PacedCaller> {
    const ws = await connect(url);
    for (const message of opening(streamSid, to)) ws.send(message);
    const caller = new PacedCaller(ws, streamSid);
    caller.#start();
    return caller;
  }

  get framesSent(): number {
    return this.#framesSent;
  }

  #start(): void {
    const message = mediaMessage(this.#streamSid, Buffer.alloc(160, SILENCE_BYTE).toString('base64'));
    const t0 = performance.now();
    const tick = (): void => {
      if (this.#ws.readyState !== WebSocket.OPEN) return;
      // Catch up after a late wake-up (as a carrier does), never run ahead of the clock.
      const due = Math.floor((performance.now() - t0) / 20) + 1;
      while (this.#framesSent < due) {
        this.#ws.send(message);
        this.#framesSent += 1;
      }
      this.#timer = setTimeout(tick, t0 + this.#framesSent * 20 - performance.now());
    };
    tick();
  }

  /** Twilio's hang-up: `stop`, then close. */
  async hangup(): Promise<StreamClose> {
    clearTimeout(this.#timer);
    if (this.#ws.readyState === WebSocket.OPEN) {
      this.#ws.send(JSON.stringify({ event: 'stop', sequenceNumber: '3', streamSid: this.#streamSid }));
      this.#ws.close(1000);
    }
    return this.closed;
  }

  /** Largest gap between agent frames that arrived within [fromMs, toMs] (performance.now()). */
  maxGapMs(fromMs: number, toMs: number): { maxGapMs: number; frames: number } {
    const inWindow = this.agentFrameAtMs.filter((t) => t >= fromMs && t <= toMs);
    let maxGapMs = 0;
    for (let i = 1; i < inWindow.length; i += 1) maxGapMs = Math.max(maxGapMs, inWindow[i]! - inWindow[i - 1]!);
    return { maxGapMs, frames: inWindow.length };
  }
}

export interface FloodResult {
  /** Audio offered, in milliseconds of 8 kHz mu-law. */
  sentAudioMs: number;
  messages: number;
  /** From the first media message to the socket closing (or the flood stopping). */
  wallMs: number;
  close: StreamClose | undefined;
}

export interface FloodOptions {
  /** Audio per media message (1,000 ms: 8 kB of mu-law, 10.7 kB of base64). */
  chunkMs?: number;
  /** Stop after this long even if the bridge has not closed the stream. */
  maxWallMs: number;
  to?: string;
}

/** Unsent bytes the flooder keeps queued: enough that the bridge's reads, not ours, set the pace. */
const FLOOD_HIGH_WATER_BYTES = 256 * 1024;

/** Sends media as fast as the bridge reads it, until the bridge closes the stream or maxWallMs. */
export async function flood(url: string, streamSid: string, opts: FloodOptions): Promise<FloodResult> {
  const chunkMs = opts.chunkMs ?? 1_000;
  const ws = await connect(url);
  for (const message of opening(streamSid, opts.to ?? '+15550100')) ws.send(message);
  const closing = closed(ws);
  // A speech-like buzz rather than silence, so nothing downstream can skip it as empty.
  const payload = Buffer.alloc((chunkMs * RATE_HZ) / 1000);
  for (let i = 0; i < payload.length; i += 1) payload[i] = i % 16 < 8 ? 0x20 : 0xa0;
  const message = mediaMessage(streamSid, payload.toString('base64'));
  let messages = 0;
  let close: StreamClose | undefined;
  void closing.then((c) => (close = c));
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const pump = (): void => {
      if (close !== undefined || ws.readyState !== WebSocket.OPEN || performance.now() - t0 >= opts.maxWallMs) return resolve();
      while (ws.bufferedAmount < FLOOD_HIGH_WATER_BYTES) {
        ws.send(message);
        messages += 1;
      }
      setTimeout(pump, 1);
    };
    pump();
  });
  const wallMs = performance.now() - t0;
  // What never left our buffer was not offered to the bridge.
  const unsent = Math.floor(ws.bufferedAmount / Buffer.byteLength(message));
  if (close === undefined) {
    ws.terminate();
    close = await closing;
  }
  return { sentAudioMs: (messages - unsent) * chunkMs, messages: messages - unsent, wallMs, close };
}
