/**
 * The WebSocket audio-fork endpoint. It takes HTTP `upgrade` requests from a server it does not
 * own (fastify's), so authentication happens before any WebSocket or call state exists: a request
 * without the secret gets an HTTP 401 and a closed socket, nothing else.
 *
 * Paths select the dialect:
 *   /media/twilio      Twilio Media Streams (also accepts X-Twilio-Signature)
 *   /media/signalwire  SignalWire (Twilio dialect)
 *   /media/audio-fork  FreeSWITCH mod_audio_fork / jambonz `listen`
 *
 * Each connection gets a StreamSession (call-facing rules) and a dialect StreamHandler (wire
 * state machine). Bad input closes that one connection; nothing here throws into the server.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { MediaAdmission } from '../call/media-leg.js';
import { createAudioForkStream } from './audio-fork-stream.js';
import { CloseCode } from './close-codes.js';
import { loggableUrl } from '../loggable-url.js';
import { AuthFailureLimiter, type AuthFailureLimits } from './auth-failure-limiter.js';
import { authenticateUpgrade } from './fork-auth.js';
import { emptyCounts, type ForkCounts, type RejectReason } from './fork-counts.js';
import { LogSampler } from './log-sampler.js';
import { ForkLeg } from './fork-leg.js';
import type { InboundFrame } from './protocols/violation.js';
import type { StreamHandlerFactory } from './stream-handler.js';
import { StreamSession } from './stream-session.js';
import { createTwilioStream } from './twilio-stream.js';
import type { TransferForCall } from './twilio-transfer.js';

export interface ForkServerDeps {
  admit: MediaAdmission;
  logger: Logger;
  /** Shared secret every stream must present (unless it carries a valid Twilio signature). */
  authToken: string;
  /** Enables X-Twilio-Signature as an alternative credential on the Twilio path. */
  twilioAuthToken?: string;
  /** Transfers on /media/twilio through Twilio's REST API (when the bridge has account credentials). */
  twilioTransfer?: TransferForCall;
  /** Public scheme+host the carrier connects to (e.g. wss://bridge.example.com), for signatures. */
  publicBaseUrl?: string;
  /** A connection that has not identified its call by then is closed (4408). */
  startTimeoutMs: number;
  /** Largest inbound frame; larger ones close the connection with 1009. */
  maxFrameBytes: number;
  /** Audio a socket may hold unsent before outbound frames are dropped. Default 3000. */
  maxBufferedAudioMs?: number;
  /** How long close() waits for peers to finish the closing handshake before cutting them off. */
  closeGraceMs?: number;
  /** Failed authentications allowed per source address (default DEFAULT_AUTH_FAILURE_LIMITS). */
  authFailureLimits?: AuthFailureLimits;
}

export const DEFAULT_AUTH_FAILURE_LIMITS: AuthFailureLimits = { burst: 20, perMinute: 10 };
/** Shorter media tokens can be guessed; the bridge still runs, and says so at start. */
export const MIN_TOKEN_CHARS = 16;

export interface ForkServer {
  /** A snapshot of the endpoint's counters. */
  counts(): ForkCounts;
  /** Stop taking upgrades, close every stream with 1001, resolve once all sockets are gone. */
  close(): Promise<void>;
}

interface Route {
  dialect: 'twilio' | 'signalwire' | 'audio_fork';
  createHandler: StreamHandlerFactory;
  acceptTwilioSignature: boolean;
}

const ROUTES: ReadonlyMap<string, Route> = new Map([
  ['/media/twilio', { dialect: 'twilio', createHandler: createTwilioStream, acceptTwilioSignature: true }],
  ['/media/signalwire', { dialect: 'signalwire', createHandler: createTwilioStream, acceptTwilioSignature: false }],
  ['/media/audio-fork', { dialect: 'audio_fork', createHandler: createAudioForkStream, acceptTwilioSignature: false }],
]);

/** mod_audio_fork offers one of these and fails the handshake unless we echo it back. */
const SUBPROTOCOLS = ['audio.drachtio.org', 'audio.jambonz.org'];

const DEFAULT_MAX_BUFFERED_AUDIO_MS = 3000;
const DEFAULT_CLOSE_GRACE_MS = 1000;

export function attachForkServer(server: Server, deps: ForkServerDeps): ForkServer {
  if (deps.authToken === '') throw new Error('fork server needs a non-empty authToken');
  const log = deps.logger;
  if (deps.authToken.length < MIN_TOKEN_CHARS) {
    log.warn(
      { length: deps.authToken.length, minimum: MIN_TOKEN_CHARS },
      'BRIDGE_MEDIA_TOKEN is short enough to guess: use at least 16 random characters (openssl rand -hex 16)',
    );
  }
  const counts = emptyCounts();
  const limiter = new AuthFailureLimiter(deps.authFailureLimits ?? DEFAULT_AUTH_FAILURE_LIMITS);
  // Unauthenticated traffic must not grow the log at wire speed: a few lines a minute per kind.
  const sampler = new LogSampler({ perWindow: 5, windowMs: 60_000 });
  const sockets = new Set<WebSocket>();
  // close() goes through the session so an admitted call hears why its stream ended.
  const sessions = new WeakMap<WebSocket, StreamSession>();
  let nextConnectionId = 1;

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: deps.maxFrameBytes,
    perMessageDeflate: false,
    clientTracking: false,
    handleProtocols: (offered) => SUBPROTOCOLS.find((p) => offered.has(p)) ?? false,
  });

  const reject = (reason: RejectReason): void => {
    counts.rejected[reason] += 1;
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // Until ws owns the socket, a reset must not become an unhandled 'error'.
    socket.on('error', () => socket.destroy());
    const url = parseRequestUrl(req.url);
    const route = url === undefined ? undefined : ROUTES.get(url.pathname);
    if (url === undefined || route === undefined) {
      reject('unknown_path');
      // Debug: scanners probe paths all day; the counter is what an operator watches.
      log.debug({ path: url === undefined ? undefined : loggableUrl(url, { pathOnly: true }) }, 'upgrade for unknown path');
      return refuseUpgrade(socket, 404, 'Not Found');
    }
    const source = req.socket.remoteAddress;
    if (limiter.limited(source)) {
      reject('rate_limited');
      const sample = sampler.take('rate_limited');
      if (sample.write) log.warn({ remoteAddress: source, suppressed: sample.suppressed }, 'media upgrade refused: too many failed authentications');
      return refuseUpgrade(socket, 429, 'Too Many Requests', limiter.retryAfterSeconds(source));
    }
    const auth = authenticateUpgrade(req, url, route.acceptTwilioSignature, deps);
    if (!auth.ok) {
      reject('unauthorized');
      counts.authFailures[auth.reason] += 1;
      limiter.failed(source);
      const sample = sampler.take('unauthorized');
      if (sample.write) {
        log.warn(
          { url: loggableUrl(url, { pathOnly: true }), reason: auth.reason, remoteAddress: source, suppressed: sample.suppressed },
          'media upgrade refused',
        );
      }
      return refuseUpgrade(socket, 401, 'Unauthorized');
    }
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, route, auth.method, req));
  };

  const onConnection = (ws: WebSocket, route: Route, authMethod: string, req: IncomingMessage): void => {
    const connectionLog = log.child({ conn: nextConnectionId++, dialect: route.dialect });
    sockets.add(ws);
    counts.connections += 1;
    counts.connectionsTotal += 1;
    connectionLog.debug({ authMethod, remoteAddress: req.socket.remoteAddress, protocol: ws.protocol }, 'stream connected');

    const session = new StreamSession({ socket: ws, admit: deps.admit, logger: connectionLog, onReject: reject, sampler });
    const transferFor = route.dialect === 'twilio' ? deps.twilioTransfer : undefined;
    const handler = route.createHandler({
      session,
      createLeg: (sampleRateHz, wire, transfer) =>
        new ForkLeg(ws, {
          sampleRateHz,
          wire,
          ...(transfer ? { transfer } : {}),
          maxBufferedAudioMs: deps.maxBufferedAudioMs ?? DEFAULT_MAX_BUFFERED_AUDIO_MS,
          onDroppedFrame: () => {
            counts.droppedFrames += 1;
          },
        }),
      ...(transferFor ? { transferFor } : {}),
    });
    const startTimer = setTimeout(() => session.timedOut(deps.startTimeoutMs), deps.startTimeoutMs);

    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (session.closing) return;
      handler.onFrame(toFrame(data, isBinary));
      if (session.identified) clearTimeout(startTimer);
    });
    ws.on('error', (err: Error & { code?: string }) => {
      // ws reports bad frames (too big, invalid UTF-8, bad opcode) here and closes with the
      // matching code itself; anything else is the transport failing and ends in 'close'.
      if (err.code?.startsWith('WS_ERR_')) session.failedByTransport(`${err.code}: ${err.message}`);
      else connectionLog.debug({ err }, 'media socket error');
    });
    ws.on('close', (code: number) => {
      clearTimeout(startTimer);
      sockets.delete(ws);
      counts.connections -= 1;
      session.socketClosed(code);
      connectionLog.debug({ code }, 'stream closed');
    });
    sessions.set(ws, session);
  };

  server.on('upgrade', onUpgrade);

  return {
    counts: () => ({ ...counts, rejected: { ...counts.rejected }, authFailures: { ...counts.authFailures } }),
    async close() {
      // With no 'upgrade' listener left, Node destroys new upgrade requests itself.
      server.off('upgrade', onUpgrade);
      const open = [...sockets];
      await Promise.all(
        open.map(
          (ws) =>
            new Promise<void>((resolve) => {
              if (ws.readyState === ws.CLOSED) return resolve();
              ws.once('close', () => resolve());
              const session = sessions.get(ws);
              if (session !== undefined) session.shutdown();
              else ws.close(CloseCode.goingAway, 'bridge shutting down');
              setTimeout(() => ws.terminate(), deps.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS).unref();
            }),
        ),
      );
      wss.close();
    },
  };
}

function parseRequestUrl(raw: string | undefined): URL | undefined {
  try {
    // Only path and query matter here; the base is a placeholder.
    return new URL(raw ?? '/', 'http://fork.invalid');
  } catch {
    return undefined;
  }
}

function toFrame(data: RawData, isBinary: boolean): InboundFrame {
  const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
  return isBinary ? { kind: 'binary', bytes } : { kind: 'text', text: bytes.toString('utf8') };
}

function refuseUpgrade(socket: Duplex, status: 401 | 404 | 429, text: string, retryAfterSeconds?: number): void {
  if (!socket.writable) return void socket.destroy();
  const headers = [
    `HTTP/1.1 ${status} ${text}`,
    'Connection: close',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(text)}`,
    ...(status === 401 ? ['WWW-Authenticate: Bearer'] : []),
    ...(retryAfterSeconds !== undefined ? [`Retry-After: ${retryAfterSeconds}`] : []),
  ];
  socket.once('finish', () => socket.destroy());
  socket.end(`${headers.join('\r\n')}\r\n\r\n${text}`);
}
