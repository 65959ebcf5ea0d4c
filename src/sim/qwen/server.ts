/**
 * Starts the Qwen-Omni-Realtime simulator in-process: an HTTP server that accepts WebSocket
 * upgrades on /api-ws/v1/realtime, one simulated session per accepted socket.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { handshakeFaultFor, sessionFaultsFor } from './faults.js';
import { checkHandshake, REALTIME_PATH, refuseUpgrade } from './handshake.js';
import { resolveOptions, type QwenSimulatorOptions } from './options.js';
import type { SimulatedSession } from './session-record.js';
import { SimulatedQwenSession } from './session.js';
import { SpeechLibrary } from './speech-audio.js';

export interface HandshakeRecord {
  /** 1-based connection attempt. */
  attempt: number;
  /** 101 when the upgrade was accepted. */
  status: number;
  model: string | undefined;
  hadAuthorization: boolean;
}

export interface QwenSimulator {
  /** ws://HOST:PORT/api-ws/v1/realtime — the client appends `?model=…`. */
  readonly url: string;
  readonly port: number;
  /** Every accepted session, in order (session.number is its 1-based position). */
  readonly sessions: readonly SimulatedSession[];
  /** Every upgrade attempt, accepted or refused. */
  readonly handshakes: readonly HandshakeRecord[];
  /** Resolves with session `number` (1-based; default: the next one to be accepted). */
  waitForSession(number?: number, timeoutMs?: number): Promise<SimulatedSession>;
  /** Drops every open session (no close frame) and stops listening. Idempotent. */
  close(): Promise<void>;
}

export async function startQwenSimulator(options: QwenSimulatorOptions = {}): Promise<QwenSimulator> {
  const resolved = resolveOptions(options);
  const speech = new SpeechLibrary(resolved.script);
  const live = new Set<SimulatedQwenSession>();
  const sessions: SimulatedSession[] = [];
  const handshakes: HandshakeRecord[] = [];
  const sessionWaiters: Array<() => void> = [];
  const http = createServer((_req, res) => {
    res.writeHead(426, { 'Content-Type': 'text/plain', Upgrade: 'websocket' }).end('WebSocket upgrade required\n');
  });
  const wss = new WebSocketServer({ noServer: true });

  http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const attempt = handshakes.length + 1;
    const result = checkHandshake(request, resolved.apiKey, handshakeFaultFor(resolved.faults, attempt));
    const record: HandshakeRecord = {
      attempt,
      status: result.ok ? 101 : result.status,
      model: new URL(request.url ?? '/', 'http://simulator.invalid').searchParams.get('model') ?? undefined,
      hadAuthorization: request.headers.authorization !== undefined,
    };
    handshakes.push(record);
    if (!result.ok) {
      refuseUpgrade(socket, result);
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      const number = sessions.length + 1;
      const session = new SimulatedQwenSession(ws, {
        number,
        model: result.model,
        workspaceId: result.workspaceId,
        options: resolved,
        speech,
        faults: sessionFaultsFor(resolved.faults, number),
      });
      live.add(session);
      ws.on('close', () => live.delete(session));
      sessions.push(session.record);
      session.start();
      for (const wake of sessionWaiters.splice(0)) wake();
    });
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(resolved.port, resolved.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const host = resolved.host.includes(':') ? `[${resolved.host}]` : resolved.host;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      for (const session of live) session.shutdown();
      live.clear();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    })());

  const waitForSession = (number = sessions.length + 1, timeoutMs = 5_000): Promise<SimulatedSession> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const session = sessions[number - 1];
        if (session) {
          clearTimeout(timer);
          resolve(session);
        } else {
          sessionWaiters.push(check);
        }
      };
      const timer = setTimeout(() => reject(new Error(`timed out waiting for simulated session ${number}`)), timeoutMs);
      check();
    });

  return {
    url: `ws://${host}:${port}${REALTIME_PATH}`,
    port,
    sessions,
    handshakes,
    waitForSession,
    close,
  };
}
