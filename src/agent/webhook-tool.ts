/**
 * A tool the operator declares in the agent file and serves over HTTP: the model's arguments are
 * POSTed with the call's context, and the JSON answer becomes the model's tool output. Every way
 * it can go wrong becomes a short JSON error, so the model apologizes instead of the call failing.
 */
import type { Logger } from 'pino';
import { postJson, type PostFailure, type WebhookEndpoint } from './webhook-client.js';

export interface WebhookTool {
  name: string;
  endpoint: WebhookEndpoint;
  retries: number;
  maxResponseBytes: number;
  /** Arguments the agent file marks `sensitive: true`: masked in records and logs, sent as is. */
  sensitivePaths?: readonly (readonly string[])[];
}

/** Who is calling whom, sent with every webhook request so the service can act on it. */
export interface WebhookCallContext {
  callId: string;
  externalId: string;
  from?: string;
  to: string;
  agentId: string;
}

const FAILURE_WORDS: Record<Exclude<PostFailure, 'status'>, string> = {
  timeout: 'the service did not answer in time',
  network: 'the service could not be reached',
  too_large: 'the service sent too large an answer',
  aborted: 'the call ended',
};

/** Runs the tool; always resolves with the string for the model. */
export async function runWebhookTool(
  tool: WebhookTool,
  args: unknown,
  call: WebhookCallContext,
  signal: AbortSignal,
  log: Logger,
  backoffMs?: number,
): Promise<string> {
  const started = performance.now();
  const result = await postJson(
    tool.endpoint,
    { tool: tool.name, arguments: args, call },
    signal,
    { retries: tool.retries, maxResponseBytes: tool.maxResponseBytes, ...(backoffMs !== undefined ? { backoffMs } : {}) },
  );
  const durationMs = Math.round(performance.now() - started);
  // Tool name, status and attempts only: the URL may carry a key and headers are secrets.
  if (!result.ok) {
    log.warn({ tool: tool.name, failure: result.failure, status: result.status, attempts: result.attempts, durationMs }, 'webhook tool failed');
    const what = result.failure === 'status' ? `the service answered ${result.status}` : FAILURE_WORDS[result.failure];
    return JSON.stringify({ error: `${tool.name} failed: ${what}` });
  }
  log.info({ tool: tool.name, status: result.status, attempts: result.attempts, durationMs }, 'webhook tool answered');
  if (result.body.trim() === '') return JSON.stringify({ ok: true });
  try {
    // Re-serialized: compact, and certainly one JSON document.
    return JSON.stringify(JSON.parse(result.body));
  } catch {
    log.warn({ tool: tool.name, status: result.status }, 'webhook tool answer is not JSON');
    return JSON.stringify({ error: `${tool.name} failed: the service sent a malformed answer` });
  }
}
