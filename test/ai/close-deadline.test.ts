/**
 * Billing runs while the model's socket is open, so a call's end must release it promptly even
 * when the service never answers the WebSocket close handshake. The peer here is a bare TCP server
 * that speaks just enough WebSocket to open a session and then ignores everything.
 */
import { createHash } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import WebSocket from 'ws';
import { describe, expect, it, vi } from 'vitest';
import { createQwenConnector } from '../../src/ai/qwen-session.js';
import { testProfile } from './support/qwen-harness.js';

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

function textFrame(payload: string): Buffer {
  const body = Buffer.from(payload);
  // Unmasked server frame, FIN + text; payloads here stay under 126 bytes' extended form limit.
  const header =
    body.length < 126 ? Buffer.from([0x81, body.length]) : Buffer.from([0x81, 126, body.length >> 8, body.length & 0xff]);
  return Buffer.concat([header, body]);
}

describe('closing a model session', () => {
  it('drops the connection at its own limit (500 ms) when the service ignores the close handshake', async () => {
    let peer: Socket | undefined;
    let peerClosedAt = 0;
    const server = createServer((socket) => {
      peer = socket;
      socket.once('close', () => (peerClosedAt = performance.now()));
      let upgraded = false;
      socket.on('data', (chunk) => {
        if (!upgraded) {
          upgraded = true;
          const key = /sec-websocket-key: *(\S+)/i.exec(chunk.toString())?.[1] ?? '';
          const accept = createHash('sha1').update(key + WS_GUID).digest('base64');
          socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
          socket.write(textFrame(JSON.stringify({ type: 'session.created', event_id: 'e1', session: { id: 'sess_1' } })));
          return;
        }
        // Whatever the client sends (session.update, later the close frame): answer the first with
        // session.updated, ignore the rest — including the close frame.
        if (!socket.readableEnded && peerClosedAt === 0 && !(socket as Socket & { sentUpdated?: boolean }).sentUpdated) {
          (socket as Socket & { sentUpdated?: boolean }).sentUpdated = true;
          socket.write(textFrame(JSON.stringify({ type: 'session.updated', event_id: 'e2', session: { id: 'sess_1' } })));
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const connect = createQwenConnector({
        url: `ws://127.0.0.1:${port}/api-ws/v1/realtime`,
        model: 'qwen3.5-omni-flash-realtime',
        apiKey: 'sk-test',
        logger: pino({ level: 'silent' }),
        createSocket: (url, headers) => new WebSocket(url, { headers }),
      });
      const session = await connect(testProfile(), () => undefined, { callId: 'c1' });
      const peerClosed = new Promise<void>((resolve) => peer!.once('close', () => resolve()));
      // From here the clock is ours: only the session's own limit (500 ms) can end the wait;
      // ws's close timeout (30 s) is never reached. The socket itself stays real.
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      try {
        session.close();
        await vi.advanceTimersByTimeAsync(500);
        await peerClosed;
      } finally {
        vi.useRealTimers();
      }
      expect(peerClosedAt).toBeGreaterThan(0);
    } finally {
      peer?.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
