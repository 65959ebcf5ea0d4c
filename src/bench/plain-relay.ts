/**
 * The baseline the bridge's CPU is compared with: a WebSocket server on the bridge's fork path
 * that, per caller connection, opens a socket to the model and passes text frames through
 * unchanged in both directions. No decoding, no resampling, no JSON on the media path: what is
 * left is the WebSocket, socket and event-loop work every bridge design pays.
 *
 * It does the model handshake (session.update on session.created, response.create on
 * session.updated) so the model starts talking; that is the only time it looks inside a frame.
 * Caller frames that arrive before the handshake is done are held and sent after it.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer, type RawData } from 'ws';
import { wsText } from './ws-text.js';

export const RELAY_PATH = '/media/twilio';

export interface PlainRelay {
  port: number;
  close(): Promise<void>;
}

/** Roughly what the bridge's session.update weighs; the content is irrelevant to the fake model. */
const SESSION_UPDATE = JSON.stringify({
  type: 'session.update',
  session: {
    modalities: ['text', 'audio'],
    voice: 'Tina',
    input_audio_format: 'pcm',
    output_audio_format: 'pcm',
    instructions: 'Plain relay baseline for the benchmark.',
    input_audio_transcription: null,
    turn_detection: { type: 'server_vad', threshold: 0.6, prefix_padding_ms: 300, silence_duration_ms: 700 },
  },
});
const RESPONSE_CREATE = JSON.stringify({ type: 'response.create' });

function handshakeType(data: RawData): string | undefined {
  try {
    const parsed: unknown = JSON.parse(wsText(data));
    return typeof parsed === 'object' && parsed !== null && 'type' in parsed && typeof parsed.type === 'string'
      ? parsed.type
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Opens one caller's model socket, tied to the caller's: whichever side goes first takes the
 * other with it, as a call ends (the floor baseline's too).
 */
export function openModelFor(caller: WebSocket, opts: { modelUrl: string; apiKey: string; model: string }): WebSocket {
  const model = new WebSocket(`${opts.modelUrl}?model=${opts.model}`, {
    headers: { Authorization: `Bearer ${opts.apiKey}` },
    perMessageDeflate: false,
  });
  caller.on('close', () => model.close(1000));
  model.on('close', () => caller.close(1000));
  caller.on('error', () => caller.terminate());
  model.on('error', () => {
    model.terminate();
    caller.terminate();
  });
  return model;
}

function relay(caller: WebSocket, modelUrl: string, apiKey: string): void {
  const model = openModelFor(caller, { modelUrl, apiKey, model: 'plain-relay' });
  let handshaking = true;
  const held: Array<{ data: RawData; isBinary: boolean }> = [];

  caller.on('message', (data: RawData, isBinary: boolean) => {
    if (handshaking) held.push({ data, isBinary });
    else model.send(data, { binary: isBinary });
  });
  model.on('message', (data: RawData, isBinary: boolean) => {
    if (caller.readyState === WebSocket.OPEN) caller.send(data, { binary: isBinary });
    if (!handshaking) return;
    const type = handshakeType(data);
    if (type === 'session.created') model.send(SESSION_UPDATE);
    else if (type === 'session.updated') {
      model.send(RESPONSE_CREATE);
      handshaking = false;
      for (const frame of held.splice(0)) model.send(frame.data, { binary: frame.isBinary });
    }
  });
}

export function startPlainRelay(opts: { modelUrl: string; token: string; apiKey: string }): Promise<PlainRelay> {
  return serveCallers(opts.token, (caller) => relay(caller, opts.modelUrl, opts.apiKey));
}

/**
 * A WebSocket server on the bridge's fork path for the baselines: the bridge's admission check
 * (path and token), so every target does the same work per connection, then `onCaller`.
 */
export function serveCallers(token: string, onCaller: (caller: WebSocket) => void): Promise<PlainRelay> {
  const sockets = new Set<WebSocket>();
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const http = createServer((_req, res) => res.writeHead(404).end());
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://relay.invalid');
    // The same admission check the bridge makes, so both do the same work per connection.
    if (url.pathname !== RELAY_PATH || url.searchParams.get('token') !== token) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (caller) => {
      sockets.add(caller);
      caller.on('close', () => sockets.delete(caller));
      onCaller(caller);
    });
  });
  return new Promise((resolve, reject) => {
    http.once('error', reject);
    http.listen(0, '127.0.0.1', () => {
      resolve({
        port: (http.address() as AddressInfo).port,
        close: async () => {
          for (const socket of sockets) socket.terminate();
          wss.close();
          await new Promise<void>((done) => http.close(() => done()));
        },
      });
    });
  });
}
