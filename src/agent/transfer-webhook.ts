/**
 * Transfers for audio-fork calls. A fork is only a copy of the media: the call itself lives on the
 * operator's platform (Twilio, jambonz, FreeSWITCH), which alone can redirect it. So the bridge
 * asks the platform: it POSTs {callId, externalId, agentId, target, destination} to the agent's
 * transfer webhook, and a 2xx answer means the transfer was done.
 */
import type { Logger } from 'pino';
import type { TransferOutcome } from '../call/media-leg.js';
import { postJson, type WebhookEndpoint } from './webhook-client.js';
import type { WebhookCallContext } from './webhook-tool.js';

export async function transferByWebhook(
  endpoint: WebhookEndpoint,
  call: WebhookCallContext,
  target: string,
  destination: string,
  signal: AbortSignal,
  log: Logger,
): Promise<TransferOutcome> {
  const result = await postJson(
    endpoint,
    { callId: call.callId, externalId: call.externalId, agentId: call.agentId, target, destination },
    signal,
    // Not retried: a retry could transfer the caller twice. The body of the answer is not used.
    { retries: 0, maxResponseBytes: 65_536 },
  );
  // A 2xx is success even when its (unused) body was over the size cap.
  if (result.ok || result.failure === 'too_large') return { ok: true };
  log.warn({ target, failure: result.failure, status: result.status }, 'transfer webhook failed');
  switch (result.failure) {
    case 'status':
      return { ok: false, reason: `the transfer service answered ${result.status}` };
    case 'timeout':
      return { ok: false, reason: 'the transfer service did not answer in time' };
    case 'network':
      return { ok: false, reason: 'the transfer service could not be reached' };
    case 'aborted':
      return { ok: false, reason: 'the call ended' };
  }
}
