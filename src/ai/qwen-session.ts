/**
 * The AiConnector for Qwen-Omni-Realtime: opens one authenticated WebSocket per call and hands
 * back a QwenRealtimeSession once the service has accepted the agent's configuration.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import type WebSocket from 'ws';
import type { AgentProfile } from '../call/agent-profile.js';
import { AiConnectError, type AiConnectErrorKind, type AiEvent, type ConversationPrimer } from '../call/ai-session.js';
import { KEEP_ALIVE } from '../models/qwen-capabilities.js';
import { instructionsWithConversation } from './conversation-primer.js';
import { QwenRealtimeSession, type QwenFrameObserver } from './qwen-realtime-session.js';

export interface QwenConnectorOptions {
  /** Region endpoint, e.g. wss://dashscope-intl.aliyuncs.com/api-ws/v1/realtime; the key must belong to its region. */
  url: string;
  /** Used when the agent profile names no model. */
  model: string;
  apiKey: string;
  /** Sent as X-DashScope-WorkSpace when set. */
  workspaceId?: string;
  /** From creating the socket to session.updated, per attempt (the Qwen team's client allows 8 s). */
  connectTimeoutMs?: number;
  /** Extra attempts after a retryable failure (rate limit, server error, timeout, dropped handshake). */
  connectRetries?: number;
  /** No attempt starts after this long from the first; the caller is waiting. */
  connectDeadlineMs?: number;
  /** One second of silence when no caller audio went out for this long; 0: never. */
  keepAliveIntervalMs?: number;
  /** Give up on an unanswered response.create after this long. */
  responseCreatedTimeoutMs?: number;
  /** Watches every frame (the probe). */
  observer?: QwenFrameObserver;
  /** Backoff randomness (tests pin it). */
  random?: () => number;
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
  opts: { callId: string; signal?: AbortSignal; primer?: ConversationPrimer },
) => Promise<QwenRealtimeSession>;

export const DEFAULT_CONNECT_TIMEOUT_MS = 8_000;
export const DEFAULT_CONNECT_RETRIES = 2;
export const DEFAULT_CONNECT_DEADLINE_MS = 12_000;
export const DEFAULT_RESPONSE_CREATED_TIMEOUT_MS = 15_000;
/** First backoff; each retry doubles it, plus up to as much again of jitter (bursts must not retry in step). */
const RETRY_BASE_MS = 250;

/** Failures another attempt may cure; a refused key, quota or configuration will not change. */
const RETRYABLE: ReadonlySet<AiConnectErrorKind> = new Set(['rate_limited', 'server', 'timeout', 'handshake']);
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

  const connectRetries = opts.connectRetries ?? DEFAULT_CONNECT_RETRIES;
  const connectDeadlineMs = opts.connectDeadlineMs ?? DEFAULT_CONNECT_DEADLINE_MS;
  const random = opts.random ?? Math.random;

  const attempt = async (
    profile: AgentProfile,
    onEvent: (event: AiEvent) => void,
    log: Logger,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<QwenRealtimeSession> => {
    signal?.throwIfAborted();
    const model = profile.model === '' ? opts.model : profile.model;
    const url = new URL(endpoint);
    url.searchParams.set('model', model);
    const headers: Record<string, string> = { Authorization: `Bearer ${opts.apiKey}` };
    if (opts.workspaceId !== undefined) headers['X-DashScope-WorkSpace'] = opts.workspaceId;

    log.info({ host: url.host, model }, 'qwen connecting');
    let socket: WebSocket;
    try {
      socket = opts.createSocket(url.toString(), headers);
    } catch (err) {
      throw new AiConnectError('handshake', `could not create the Qwen socket: ${(err as Error).message}`);
    }
    const session = new QwenRealtimeSession(socket, onEvent, log, {
      profile: profile.model === '' ? { ...profile, model } : profile,
      appendBatchMs,
      sessionCapMs,
      apiKey: opts.apiKey,
      endpointHost: endpoint.host,
      nowMs,
      keepAliveIntervalMs: opts.keepAliveIntervalMs ?? KEEP_ALIVE.intervalMs,
      responseCreatedTimeoutMs: opts.responseCreatedTimeoutMs ?? DEFAULT_RESPONSE_CREATED_TIMEOUT_MS,
      ...(opts.observer ? { observer: opts.observer } : {}),
    });

    const timer = setTimeout(() => {
      session.failConnect(new AiConnectError('timeout', `Qwen session not ready within ${timeoutMs} ms`));
    }, timeoutMs);
    // The call ended before the model was ready: nothing to wait for, and the socket must not linger.
    const onAbort = (): void => session.failConnect(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await session.ready;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
    session.startDelivery();
    return session;
  };

  return async (agentProfile, onEvent, { callId, signal, primer }) => {
    const log = opts.logger.child({ callId });
    const profile = primer === undefined ? agentProfile : { ...agentProfile, instructions: instructionsWithConversation(agentProfile.instructions, primer) };
    const startedMs = nowMs();
    for (let retry = 0; ; retry++) {
      const remainingMs = connectDeadlineMs - (nowMs() - startedMs);
      try {
        return await attempt(profile, onEvent, log, Math.max(1, Math.min(connectTimeoutMs, remainingMs)), signal);
      } catch (err) {
        if (!(err instanceof AiConnectError)) {
          log.debug('qwen connect aborted');
          throw err;
        }
        const delayMs = RETRY_BASE_MS * 2 ** retry * (1 + random());
        const elapsedMs = nowMs() - startedMs;
        const retryable = RETRYABLE.has(err.kind) && retry < connectRetries && elapsedMs + delayMs < connectDeadlineMs;
        log.warn({ kind: err.kind, httpStatus: err.httpStatus, err: err.message, attempt: retry + 1, retrying: retryable }, 'qwen connect failed');
        if (!retryable) throw err;
        // Cut short when the call ends; the next attempt then throws the abort's reason.
        await delay(delayMs, undefined, signal ? { signal } : {}).catch(() => undefined);
      }
    }
  };
}
