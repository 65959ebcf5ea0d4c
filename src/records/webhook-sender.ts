/**
 * Delivers call records to the end-of-call webhook: a bounded queue, a few deliveries at a time,
 * retries with exponential backoff on network errors, timeouts, 429 and 5xx (other statuses are
 * the receiver's final word). Nothing here blocks a call: `enqueue` only queues, and a full queue
 * drops the new record (counted and logged) rather than grow without bound while the receiver is
 * down. Logs name the receiver's host only: its URL may carry a token in the query string.
 */
import type { Logger } from 'pino';
import type { CallRecord } from '../call/call-record.js';
import type { RecordsMetrics } from './records-metrics.js';
import { signPayload } from './webhook-signature.js';

export interface WebhookSenderOptions {
  url: string;
  secret: string;
  /** Per attempt. */
  timeoutMs: number;
  /** Further attempts after the first. */
  retries: number;
  logger: Logger;
  metrics: RecordsMetrics;
  /** Records waiting (not counting those being delivered); more are dropped. Default 1000. */
  maxQueued?: number;
  /** Deliveries in flight at once. Default 2. */
  concurrency?: number;
  /** Wait before retry n (1-based). Default 1 s doubling to 60 s, ±20 % jitter. */
  backoffMs?: (retry: number) => number;
  fetch?: typeof fetch;
  now?: () => number;
}

interface Job {
  callId: string;
  body: string;
}

type AttemptResult = { ok: true; status: number } | { ok: false; retry: boolean; status?: number; error?: string };

export function defaultBackoffMs(retry: number): number {
  const base = Math.min(60_000, 1000 * 2 ** (retry - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

export class WebhookSender {
  readonly #opts: WebhookSenderOptions;
  readonly #host: string;
  readonly #queue: Job[] = [];
  readonly #maxQueued: number;
  readonly #concurrency: number;
  readonly #backoffMs: (retry: number) => number;
  readonly #fetch: typeof fetch;
  readonly #now: () => number;
  /** Aborts in-flight requests and backoff waits at shutdown. */
  readonly #stop = new AbortController();
  readonly #idleWaiters: Array<() => void> = [];
  #active = 0;

  constructor(opts: WebhookSenderOptions) {
    this.#opts = opts;
    this.#host = new URL(opts.url).host;
    this.#maxQueued = opts.maxQueued ?? 1000;
    this.#concurrency = opts.concurrency ?? 2;
    this.#backoffMs = opts.backoffMs ?? defaultBackoffMs;
    this.#fetch = opts.fetch ?? fetch;
    this.#now = opts.now ?? Date.now;
  }

  /** Records queued or being delivered. */
  get pending(): number {
    return this.#queue.length + this.#active;
  }

  /** Queue a record for delivery; false when it was dropped (queue full or sender closed). */
  enqueue(record: CallRecord): boolean {
    if (this.#stop.signal.aborted || this.#queue.length >= this.#maxQueued) {
      const reason = this.#stop.signal.aborted ? 'shutting_down' : 'queue_full';
      this.#opts.metrics.webhookDelivery('dropped');
      this.#opts.logger.warn({ callId: record.callId, reason, queued: this.#queue.length, host: this.#host }, 'webhook record dropped');
      return false;
    }
    this.#queue.push({ callId: record.callId, body: JSON.stringify(record) });
    this.#pump();
    return true;
  }

  /**
   * Give queued deliveries up to `graceMs` to finish, then abort the rest (counted as dropped).
   */
  async close(graceMs: number): Promise<void> {
    if (this.pending > 0 && graceMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.#idleWaiters.push(resolve)),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, graceMs);
        }),
      ]);
      clearTimeout(timer);
    }
    this.#stop.abort();
    const dropped = this.#queue.splice(0);
    for (let i = 0; i < dropped.length; i++) this.#opts.metrics.webhookDelivery('dropped');
    if (dropped.length > 0 || this.#active > 0) {
      this.#opts.logger.warn({ dropped: dropped.length, inFlight: this.#active, host: this.#host }, 'webhook deliveries abandoned at shutdown');
    }
  }

  #pump(): void {
    while (this.#active < this.#concurrency && this.#queue.length > 0) {
      const job = this.#queue.shift()!;
      this.#active += 1;
      void this.#deliver(job).finally(() => {
        this.#active -= 1;
        this.#pump();
        if (this.pending === 0) for (const wake of this.#idleWaiters.splice(0)) wake();
      });
    }
  }

  async #deliver(job: Job): Promise<void> {
    const attempts = 1 + this.#opts.retries;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (this.#stop.signal.aborted) return;
      const result = await this.#attempt(job);
      if (result.ok) {
        this.#opts.metrics.webhookDelivery('delivered');
        this.#opts.logger.debug({ callId: job.callId, attempt, status: result.status, host: this.#host }, 'webhook delivered');
        return;
      }
      const detail = { callId: job.callId, attempt, status: result.status, error: result.error, host: this.#host };
      if (!result.retry || attempt === attempts) {
        this.#opts.metrics.webhookDelivery('failed');
        this.#opts.logger.error(detail, 'webhook delivery failed');
        return;
      }
      this.#opts.metrics.webhookRetry();
      const waitMs = this.#backoffMs(attempt);
      this.#opts.logger.warn({ ...detail, retryInMs: waitMs }, 'webhook attempt failed: retrying');
      await abortableDelay(waitMs, this.#stop.signal);
    }
  }

  async #attempt(job: Job): Promise<AttemptResult> {
    // A fresh timestamp per attempt: receivers reject stale ones, and a retry may come minutes later.
    const timestamp = String(Math.floor(this.#now() / 1000));
    try {
      const response = await this.#fetch(this.#opts.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-bridge-timestamp': timestamp,
          'x-bridge-signature': signPayload(this.#opts.secret, timestamp, job.body),
          // Lets a receiver drop the duplicate when a retry follows an attempt it did process.
          'x-bridge-call-id': job.callId,
        },
        body: job.body,
        signal: AbortSignal.any([AbortSignal.timeout(this.#opts.timeoutMs), this.#stop.signal]),
        redirect: 'error',
      });
      // The body is not ours to read; cancelling frees the connection for reuse.
      await response.body?.cancel().catch(() => {});
      if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status };
      const retry = response.status >= 500 || response.status === 429 || response.status === 408;
      return { ok: false, retry, status: response.status };
    } catch (err) {
      const error = err instanceof Error ? (err.name === 'TimeoutError' ? 'timeout' : causeText(err)) : String(err);
      return { ok: false, retry: true, error };
    }
  }
}

/** fetch() wraps socket errors as "fetch failed"; the code underneath says what happened. */
function causeText(err: Error): string {
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof Error) return (cause as { code?: string }).code ?? cause.message;
  return err.message;
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
