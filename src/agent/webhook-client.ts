/**
 * POSTs JSON to an operator's webhook (tool calls, transfers) with global fetch: a time limit per
 * attempt, retries with a small backoff on network errors and 5xx only, a size cap on the answer,
 * and the call's abort signal so nothing outlives the call. Header values are secrets: they go
 * on the wire and nowhere else (not in results, errors or logs).
 */

export interface WebhookEndpoint {
  url: string;
  headers: Readonly<Record<string, string>>;
  /** Per attempt, including reading the answer. */
  timeoutMs: number;
}

export interface PostOptions {
  /** Extra attempts after a network error or a 5xx. A timeout is not retried: the caller is waiting. */
  retries: number;
  maxResponseBytes: number;
  /** Wait before retry n is n × backoffMs. */
  backoffMs?: number;
}

export type PostFailure = 'timeout' | 'network' | 'status' | 'too_large' | 'aborted';

export type PostResult =
  | { ok: true; status: number; body: string; attempts: number }
  | { ok: false; failure: PostFailure; status?: number; attempts: number };

const DEFAULT_BACKOFF_MS = 200;

type Attempt = { kind: 'answer'; status: number; body: string | undefined } | { kind: 'failed'; failure: PostFailure };

export async function postJson(
  endpoint: WebhookEndpoint,
  payload: unknown,
  signal: AbortSignal,
  opts: PostOptions,
): Promise<PostResult> {
  const body = JSON.stringify(payload);
  const backoffMs = opts.backoffMs ?? DEFAULT_BACKOFF_MS;
  for (let attempt = 1; ; attempt++) {
    const result = await attemptOnce(endpoint, body, signal, opts.maxResponseBytes);
    const retryable = (result.kind === 'failed' && result.failure === 'network') || (result.kind === 'answer' && result.status >= 500);
    if (retryable && attempt <= opts.retries && !signal.aborted) {
      if (await sleep(backoffMs * attempt, signal)) continue;
    }
    if (result.kind === 'failed') return { ok: false, failure: signal.aborted ? 'aborted' : result.failure, attempts: attempt };
    if (result.status < 200 || result.status >= 300) return { ok: false, failure: 'status', status: result.status, attempts: attempt };
    if (result.body === undefined) return { ok: false, failure: 'too_large', status: result.status, attempts: attempt };
    return { ok: true, status: result.status, body: result.body, attempts: attempt };
  }
}

async function attemptOnce(endpoint: WebhookEndpoint, body: string, signal: AbortSignal, maxBytes: number): Promise<Attempt> {
  if (signal.aborted) return { kind: 'failed', failure: 'aborted' };
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, endpoint.timeoutMs);
  const onAbort = (): void => controller.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const res = await fetch(endpoint.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...endpoint.headers },
      body,
      signal: controller.signal,
      // A redirect would resend the headers (credentials) to wherever it points.
      redirect: 'error',
    });
    if (res.status < 200 || res.status >= 300) {
      await res.body?.cancel().catch(() => undefined);
      return { kind: 'answer', status: res.status, body: '' };
    }
    return { kind: 'answer', status: res.status, body: await readCapped(res, maxBytes) };
  } catch {
    if (timedOut) return { kind: 'failed', failure: 'timeout' };
    if (signal.aborted) return { kind: 'failed', failure: 'aborted' };
    return { kind: 'failed', failure: 'network' };
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  }
}

/** The body as text, or undefined when it is larger than `maxBytes` (reading stops there). */
async function readCapped(res: Response, maxBytes: number): Promise<string | undefined> {
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  // Leaving the loop early cancels the stream: the rest is never downloaded.
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > maxBytes) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Resolves true after `ms`, false at once if the signal aborts first. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
