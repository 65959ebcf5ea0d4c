/**
 * A fork server on 127.0.0.1 with a fake admission that records every leg and event, and a raw
 * ws client that records every frame, so tests read as "frames in, events and frames out".
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import WebSocket, { type ClientOptions } from 'ws';
import type { CallIdentity, MediaEvent, MediaLeg } from '../../src/call/media-leg.js';
import { attachForkServer, type ForkServer, type ForkServerDeps } from '../../src/media/fork-server.js';

export const TOKEN = 'test-media-token-0123456789';

export interface AdmittedCall {
  identity: CallIdentity;
  leg: MediaLeg;
  events: MediaEvent[];
}

export interface Harness {
  port: number;
  fork: ForkServer;
  calls: AdmittedCall[];
  /** Refuse the next admissions with this reason (undefined: accept). */
  refuseWith: string | undefined;
  /** A stream URL with the token in the query; `null` leaves it out. */
  url(path: string, token?: string | null): string;
  close(): Promise<void>;
}

export async function startHarness(overrides: Partial<ForkServerDeps> = {}): Promise<Harness> {
  const server: Server = createServer((_req, res) => res.writeHead(404).end());
  const calls: AdmittedCall[] = [];
  const harness = { calls, refuseWith: undefined } as Partial<Harness> as Harness;
  const fork = attachForkServer(server, {
    admit: (identity, leg) => {
      if (harness.refuseWith !== undefined) return { accepted: false, reason: harness.refuseWith };
      const call: AdmittedCall = { identity, leg, events: [] };
      calls.push(call);
      return { accepted: true, onEvent: (event) => call.events.push(event) };
    },
    logger: pino({ level: 'silent' }),
    authToken: TOKEN,
    startTimeoutMs: 5_000,
    maxFrameBytes: 64 * 1024,
    closeGraceMs: 200,
    ...overrides,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(harness, {
    port,
    fork,
    url: (path: string, token: string | null = TOKEN) =>
      `ws://127.0.0.1:${port}${path}${token === null ? '' : `?token=${encodeURIComponent(token)}`}`,
    async close() {
      await fork.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}

export interface ReceivedFrame {
  data: Buffer;
  isBinary: boolean;
}

export class TestClient {
  readonly frames: ReceivedFrame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly ws: WebSocket;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data: Buffer, isBinary) => this.frames.push({ data, isBinary }));
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  static open(url: string, opts: { protocols?: string[]; headers?: Record<string, string> } = {}): Promise<TestClient> {
    const clientOpts: ClientOptions = { headers: opts.headers ?? {} };
    const ws = new WebSocket(url, opts.protocols ?? [], clientOpts);
    const client = new TestClient(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
    });
  }

  /** The HTTP status an upgrade was refused with. */
  static refusal(url: string, headers: Record<string, string> = {}): Promise<number> {
    const ws = new WebSocket(url, { headers });
    return new Promise((resolve, reject) => {
      ws.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.once('open', () => reject(new Error('upgrade unexpectedly accepted')));
      ws.once('error', () => undefined);
    });
  }

  sendJson(value: unknown): void {
    this.ws.send(JSON.stringify(value));
  }

  texts(): unknown[] {
    return this.frames.filter((f) => !f.isBinary).map((f) => JSON.parse(f.data.toString('utf8')) as unknown);
  }

  binaries(): Buffer[] {
    return this.frames.filter((f) => f.isBinary).map((f) => f.data);
  }
}

/** Poll a condition that depends on socket traffic on loopback; fails loudly instead of hanging. */
export async function until(condition: () => boolean, what: string, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export const TWILIO_STREAM_SID = 'MZ00000000000000000000000000000001';
export const TWILIO_CALL_SID = 'CA00000000000000000000000000000001';

export function twilioStart(overrides: { streamSid?: string; customParameters?: Record<string, string> } = {}): unknown {
  const streamSid = overrides.streamSid ?? TWILIO_STREAM_SID;
  return {
    event: 'start',
    sequenceNumber: '1',
    streamSid,
    start: {
      streamSid,
      accountSid: 'AC00000000000000000000000000000001',
      callSid: TWILIO_CALL_SID,
      tracks: ['inbound'],
      customParameters: overrides.customParameters ?? { to: '+15550001111', from: '+15559998888' },
      mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
    },
  };
}

export function twilioMedia(payload: Buffer, streamSid = TWILIO_STREAM_SID): unknown {
  return {
    event: 'media',
    sequenceNumber: '2',
    streamSid,
    media: { track: 'inbound', chunk: '1', timestamp: '20', payload: payload.toString('base64') },
  };
}
