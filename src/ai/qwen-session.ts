/**
 * The AiConnector for Qwen-Omni-Realtime: opens one authenticated WebSocket per call and hands
 * back a QwenRealtimeSession once the service has accepted the agent's configuration.
 */
import type { Logger } from 'pino';
import type WebSocket from 'ws';
import type { AgentProfile } from '../agent/profile.js';
import { AiConnectError, type AiEvent } from '../call/ai-session.js';
import { QwenRealtimeSession } from './qwen-realtime-session.js';
import { loggableUrl } from '../loggable-url.js';

export interface QwenConnectorOptions {
  /** Region endpoint, e.g. wss://dashscope-intl.aliyuncs.com/api-ws/v1/realtime; the key must belong to its region. */
  url: string;
  /** Used when the agent profile names no model. */
  model: string;
  apiKey: string;
  /** Sent as X-DashScope-WorkSpace when set. */
  workspaceId?: string;
  /** From creating the socket to session.updated. The SDK allows 5 s for the socket alone. */
  connectTimeoutMs?: number;
  /** Caller audio per input_audio_buffer.append; at most 100 (the documented packet size). */
  appendBatchMs?: number;
  /** The service's session limit; a close near it is reported as `session_cap`. */
  sessionCapMs?: number;
  logger: Logger;
  /** Usually `(url, headers) => new WebSocket(url, { headers })`; injected so tests need no module mocks. */
  createSocket: (url: string, headers: Record<string, string>) => WebSocket;
  /** Monotonic clock for session age; injected by tests that cannot wait two hours. */
  nowMs?: () => number;
}

export type QwenConnector = (
  profile: AgentProfile,
  onEvent: (event: AiEvent) => void,
  opts: { callId: string; signal?: AbortSignal },
) => Promise<QwenRealtimeSession>;

export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
export const DEFAULT_APPEND_BATCH_MS = 100;
export const MAX_APPEND_BATCH_MS = 100;
export const DEFAULT_SESSION_CAP_MS = 7_200_000;

function endpointUrl(url: string): URL {
  const parsed = new URL(url);
  if (parsed.protocol !== 'wss:' && parsed.protocol !== 'ws:') {
    throw new RangeError(`Qwen endpoint must be a ws: or wss: URL, got ${parsed.protocol}`);
  }
  return parsed;
}

/** Checks the options once, up front, so a bad value fails at startup rather than on the first call. */
export function createQwenConnector(opts: QwenConnectorOptions): QwenConnector {
  const endpoint = endpointUrl(opts.url);
  const connectTimeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const appendBatchMs = opts.appendBatchMs ?? DEFAULT_APPEND_BATCH_MS;
  const sessionCapMs = opts.sessionCapMs ?? DEFAULT_SESSION_CAP_MS;
  const nowMs = opts.nowMs ?? (() => performance.now());
  if (!Number.isInteger(appendBatchMs) || appendBatchMs <= 0 || appendBatchMs > MAX_APPEND_BATCH_MS) {
    throw new RangeError(`appendBatchMs must be a whole number in 1..${MAX_APPEND_BATCH_MS}, got ${appendBatchMs}`);
  }
  if (!(connectTimeoutMs > 0)) throw new RangeError(`connectTimeoutMs must be positive, got ${connectTimeoutMs}`);
  if (!(sessionCapMs > 0)) throw new RangeError(`sessionCapMs must be positive, got ${sessionCapMs}`);
  if (opts.apiKey === '') throw new RangeError('apiKey is empty');

  return async (profile, onEvent, { callId, signal }) => {
    signal?.throwIfAborted();
    const log = opts.logger.child({ callId });
    const model = profile.model === '' ? opts.model : profile.model;
    const url = new URL(endpoint);
    url.searchParams.set('model', model);
    const headers: Record<string, string> = { Authorization: `Bearer ${opts.apiKey}` };
    if (opts.workspaceId !== undefined) headers['X-DashScope-WorkSpace'] = opts.workspaceId;

    log.info({ url: loggableUrl(url), model }, 'qwen connecting');
    let socket: WebSocket;
    try {
      socket = opts.createSocket(url.toString(), headers);
    } catch (err) {
      throw new AiConnectError('handshake', `could not create the Qwen socket: ${(err as Error).message}`);
    }
    const session = new QwenRealtimeSession(socket, onEvent, log, {
      profile,
      appendBatchMs,
      sessionCapMs,
      apiKey: opts.apiKey,
      endpointHost: endpoint.host,
      nowMs,
    });

    const timer = setTimeout(() => {
      session.failConnect(new AiConnectError('timeout', `Qwen session not ready within ${connectTimeoutMs} ms`));
    }, connectTimeoutMs);
    // The call ended before the model was ready: nothing to wait for, and the socket must not linger.
    const onAbort = (): void => session.failConnect(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await session.ready;
    } catch (err) {
      if (err instanceof AiConnectError) log.warn({ kind: err.kind, httpStatus: err.httpStatus, err: err.message }, 'qwen connect failed');
      else log.debug('qwen connect aborted');
      throw err;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
    session.startDelivery();
    return session;
  };
}
