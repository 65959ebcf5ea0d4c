/**
 * The connection to drachtio-server (inbound mode): connect, authenticate, reconnect with backoff,
 * and a readiness flag. drachtio-srf's connect() is not a promise and its socket errors must have
 * a listener, so both are handled here once.
 *
 * Calls in progress survive a reconnect: their RTP is ours and keeps flowing. But drachtio-server
 * gives a dialog to the connection that created it, so after a reconnect we can no longer send BYE
 * for those calls nor hear theirs; they end by media inactivity when the caller hangs up.
 */
import type { Logger } from 'pino';
import type { SrfApp } from './srf-shapes.js';

export type DrachtioState = 'connecting' | 'connected' | 'disconnected' | 'closed';

export interface DrachtioLinkOptions {
  srf: SrfApp;
  host: string;
  port: number;
  secret: string;
  reconnectMaxDelayMs: number;
  logger: Logger;
}

export interface DrachtioLink {
  readonly state: DrachtioState;
  /** Resolves on the first successful connection (or rejects when closed before it). */
  readonly connected: Promise<void>;
  close(): void;
}

export function connectDrachtio(opts: DrachtioLinkOptions): DrachtioLink {
  const { srf, logger } = opts;
  let state: DrachtioState = 'connecting';
  let attemptsLogged = 0;
  let resolveFirst: () => void = () => undefined;
  let rejectFirst: (err: Error) => void = () => undefined;
  const connected = new Promise<void>((resolve, reject) => {
    resolveFirst = resolve;
    rejectFirst = reject;
  });
  // Nobody may be waiting for the first connection; an unobserved rejection must not crash.
  connected.catch(() => undefined);

  srf.on('connect', (err: Error | null, hostport?: string, serverVersion?: string) => {
    if (err) {
      // A wrong secret: the server closes the socket and srf will keep retrying.
      logger.error({ host: opts.host, port: opts.port, detail: err.message }, 'drachtio-server refused our secret');
      return;
    }
    state = 'connected';
    attemptsLogged = 0;
    logger.info({ hostport, serverVersion }, 'connected to drachtio-server');
    resolveFirst();
  });
  srf.on('error', (err: Error & { code?: string }) => {
    // ECONNREFUSED and friends while reconnecting: log the first few, then every tenth.
    attemptsLogged += 1;
    if (attemptsLogged <= 3 || attemptsLogged % 10 === 0) {
      logger.warn({ host: opts.host, port: opts.port, code: err.code, detail: err.message }, 'drachtio-server unreachable');
    }
  });
  srf.on('reconnecting', (info: { delay?: number; attempt?: number }) => {
    if (state === 'connected') logger.warn({ delayMs: info.delay }, 'lost drachtio-server, reconnecting');
    if (state !== 'closed') state = 'disconnected';
  });
  srf.on('close', () => {
    if (state === 'connected') {
      logger.warn('drachtio-server connection closed');
      state = 'disconnected';
    }
  });

  srf.connect({
    host: opts.host,
    port: opts.port,
    secret: opts.secret,
    reconnect: { retryMaxDelay: opts.reconnectMaxDelayMs },
  });

  return {
    get state() {
      return state;
    },
    connected,
    close() {
      if (state === 'closed') return;
      const wasConnected = state === 'connected';
      state = 'closed';
      rejectFirst(new Error('drachtio link closed'));
      // srf.disconnect() asserts on a missing socket, which is the case while reconnecting.
      try {
        srf.disconnect();
      } catch (err) {
        if (wasConnected) logger.debug({ err }, 'drachtio disconnect');
      }
    },
  };
}
