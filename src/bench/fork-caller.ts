/**
 * One simulated caller on a Twilio Media Streams fork: `connected` and `start`, then a 160-byte
 * mu-law frame every 20 ms on the driver's fixed-rate schedule, `stop` at the end. It stamps when
 * each frame is sent (the fake model looks the stamps up) and when audio reaches it.
 *
 * It accepts both what the bridge sends (Twilio `media` events, one per 20 ms frame) and what the
 * plain relay passes through (the model's own `response.audio.delta` events).
 */
import WebSocket, { type RawData } from 'ws';
import type { CallPeer } from './fake-model.js';
import type { ScheduledTask } from './fixed-rate-schedule.js';
import type { LatencyLog } from './latency-log.js';
import { wsText } from './ws-text.js';

export const FRAME_MS = 20;
/** Send stamps kept per caller: far longer than any latency worth measuring. */
const SENT_STAMPS = 1024;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sid(prefix: string, index: number): string {
  return `${prefix}${index.toString(16).padStart(32, '0')}`;
}

export class ForkCaller implements CallPeer, ScheduledTask {
  readonly closed: Promise<void>;

  readonly #ws: WebSocket;
  readonly #log: LatencyLog;
  readonly #payloads: readonly string[];
  readonly #streamSid: string;
  readonly #callSid: string;
  readonly #sentAt = new Float64Array(SENT_STAMPS);
  #framesSent = 0;
  #sequence = 0;
  #hungUp = false;
  #responseStartedAtMs: number | undefined;

  private constructor(ws: WebSocket, index: number, log: LatencyLog, payloads: readonly string[]) {
    this.#ws = ws;
    this.#log = log;
    this.#payloads = payloads;
    this.#streamSid = sid('MZ', index);
    this.#callSid = sid('CA', index);
    this.closed = new Promise((resolve) => ws.on('close', () => resolve()));
    // Errors after the upgrade end in 'close'; without a listener ws would throw them.
    ws.on('error', () => ws.terminate());
    ws.on('message', this.#onMessage);
  }

  /** Connects and identifies the call; the bridge admits it on `start`. */
  static connect(url: string, index: number, log: LatencyLog, payloads: readonly string[], timeoutMs: number): Promise<ForkCaller> {
    const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: timeoutMs });
    return new Promise((resolve, reject) => {
      const fail = (err: Error): void => reject(err);
      ws.once('error', fail);
      ws.once('open', () => {
        ws.off('error', fail);
        const caller = new ForkCaller(ws, index, log, payloads);
        caller.#opening();
        resolve(caller);
      });
    });
  }

  frameSentAt(index: number): number | undefined {
    if (index < 0 || index >= this.#framesSent || index < this.#framesSent - SENT_STAMPS) return undefined;
    return this.#sentAt[index % SENT_STAMPS];
  }

  responseAudioStarted(atMs: number): void {
    if (this.#responseStartedAtMs !== undefined) this.#log.count('responsesUnheard');
    this.#responseStartedAtMs = atMs;
  }

  run(dueMs: number): number | undefined {
    if (this.#hungUp || this.#ws.readyState !== WebSocket.OPEN) return undefined;
    const chunk = this.#framesSent + 1;
    const payload = this.#payloads[this.#framesSent % this.#payloads.length]!;
    const message =
      `{"event":"media","sequenceNumber":"${++this.#sequence}","media":{"track":"inbound","chunk":"${chunk}",` +
      `"timestamp":"${this.#framesSent * FRAME_MS}","payload":"${payload}"},"streamSid":"${this.#streamSid}"}`;
    this.#sentAt[this.#framesSent % SENT_STAMPS] = performance.now();
    this.#ws.send(message);
    this.#framesSent += 1;
    this.#log.count('framesSent');
    return dueMs + FRAME_MS;
  }

  /** Twilio's end of a call: `stop`, then the socket closes. Resolves once it has. */
  hangup(): Promise<void> {
    this.#hungUp = true;
    if (this.#ws.readyState === WebSocket.OPEN) {
      this.#ws.send(JSON.stringify({ event: 'stop', sequenceNumber: String(++this.#sequence), streamSid: this.#streamSid }));
      this.#ws.close(1000);
    }
    return this.closed;
  }

  terminate(): void {
    this.#hungUp = true;
    this.#ws.terminate();
  }

  #opening(): void {
    this.#ws.send(JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }));
    this.#ws.send(
      JSON.stringify({
        event: 'start',
        sequenceNumber: String(++this.#sequence),
        streamSid: this.#streamSid,
        start: {
          streamSid: this.#streamSid,
          accountSid: sid('AC', 0),
          callSid: this.#callSid,
          tracks: ['inbound'],
          customParameters: { to: '+15550100', from: '+15550199' },
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
        },
      }),
    );
  }

  #onMessage = (data: RawData, isBinary: boolean): void => {
    const atMs = performance.now();
    if (isBinary) return;
    let message: unknown;
    try {
      message = JSON.parse(wsText(data));
    } catch {
      return;
    }
    if (!isRecord(message) || (message.event !== 'media' && message.type !== 'response.audio.delta')) return;
    this.#log.count('audioMessagesAtCaller');
    if (this.#responseStartedAtMs !== undefined) {
      this.#log.down(atMs - this.#responseStartedAtMs);
      this.#responseStartedAtMs = undefined;
    }
  };
}
