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
  /**
   * The accepted sessions still retained, in order of acceptance: every open session, plus the
   * most recently ended ones up to `retainedSessions` (default 200) in all. Until that many
   * sessions have been accepted, `sessions[n - 1]` is session number n.
   */
  readonly sessions: readonly SimulatedSession[];
  /** The latest upgrade attempts, accepted or refused (at most `retainedSessions`). */
  readonly handshakes: readonly HandshakeRecord[];
  /** Sessions accepted so far, retained or not. */
  readonly acceptedSessions: number;
  /** Sessions whose socket is still open. */
  readonly openSessions: number;
  /** Resolves with session `number` (1-based; default: the next one to be accepted); rejects
   *  at once if that session is no longer retained. */
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
  let accepted = 0;
  let attempts = 0;
  const retain = resolved.retainedSessions;
  /** Forgets the oldest ended sessions beyond the cap; open ones stay (their sockets hold them anyway). */
  const forgetEnded = (): void => {
    let excess = sessions.length - retain;
    for (let i = 0; i < sessions.length && excess > 0; ) {
      if (sessions[i]!.ended !== undefined) {
        sessions.splice(i, 1);
        excess--;
      } else {
        i++;
      }
    }
  };
  const http = createServer((_req, res) => {
    res.writeHead(426, { 'Content-Type': 'text/plain', Upgrade: 'websocket' }).end('WebSocket upgrade required\n');
  });
  const wss = new WebSocketServer({ noServer: true });

  http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const attempt = ++attempts;
    const result = checkHandshake(request, resolved.apiKey, handshakeFaultFor(resolved.faults, attempt));
    const record: HandshakeRecord = {
      attempt,
      status: result.ok ? 101 : result.status,
      model: new URL(request.url ?? '/', 'http://simulator.invalid').searchParams.get('model') ?? undefined,
      hadAuthorization: request.headers.authorization !== undefined,
    };
    handshakes.push(record);
    if (handshakes.length > retain) handshakes.splice(0, handshakes.length - retain);
    if (!result.ok) {
      refuseUpgrade(socket, result);
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      const number = ++accepted;
      const session = new SimulatedQwenSession(ws, {
        number,
        model: result.model,
        workspaceId: result.workspaceId,
        options: resolved,
        speech,
        faults: sessionFaultsFor(resolved.faults, number),
      });
      live.add(session);
      sessions.push(session.record);
      forgetEnded();
      session.start();
      // After start(): the session's own close listener has marked its record ended by then.
      ws.on('close', () => {
        live.delete(session);
        forgetEnded();
      });
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

  const waitForSession = (number = accepted + 1, timeoutMs = 5_000): Promise<SimulatedSession> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const session = sessions.find((s) => s.number === number);
        if (session) {
          clearTimeout(timer);
          resolve(session);
        } else if (number <= accepted) {
          clearTimeout(timer);
          reject(new Error(`simulated session ${number} is no longer retained (retainedSessions: ${retain})`));
        } else {
          sessionWaiters.push(check);
        }
      };
      const timer = setTimeout(() => {
        // A waiter that gave up must not stay in the list until the next session arrives.
        const index = sessionWaiters.indexOf(check);
        if (index >= 0) sessionWaiters.splice(index, 1);
        reject(new Error(`timed out waiting for simulated session ${number}`));
      }, timeoutMs);
      check();
    });

  return {
    url: `ws://${host}:${port}${REALTIME_PATH}`,
    port,
    sessions,
    handshakes,
    get acceptedSessions() {
      return accepted;
    },
    get openSessions() {
      return live.size;
    },
    waitForSession,
    close,
  };
}
