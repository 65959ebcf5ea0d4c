/**
 * End-of-call webhooks against a real HTTP receiver on 127.0.0.1.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NO_RECORDS_METRICS, type WebhookOutcome } from '../../src/records/records-metrics.js';
import { verifySignature } from '../../src/records/webhook-signature.js';
import { WebhookSender, type WebhookSenderOptions } from '../../src/records/webhook-sender.js';
import { sampleRecord } from './sample-record.js';

const SECRET = 'whsec-test-4b1d';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

interface Receiver {
  url: string;
  received: Received[];
  close(): Promise<void>;
}

let receiver: Receiver | undefined;
let sender: WebhookSender | undefined;
afterEach(async () => {
  await sender?.close(0);
  sender = undefined;
  await receiver?.close();
  receiver = undefined;
});

/** A receiver answering each request with the next status of `statuses` (the last one repeats). */
/** A receiver answering with `statuses` in turn, each after `delayMs`; 'never' holds every request open. */
async function startReceiver(statuses: number[], delayMs: number | 'never' = 0): Promise<Receiver> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const status = statuses[Math.min(received.length - 1, statuses.length - 1)]!;
      if (delayMs !== 'never') setTimeout(() => res.writeHead(status).end(), delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/calls?key=do-not-log`,
    received,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function outcomes(): { list: WebhookOutcome[]; retries: number; metrics: WebhookSenderOptions['metrics'] } {
  const result = { list: [] as WebhookOutcome[], retries: 0, metrics: NO_RECORDS_METRICS };
  result.metrics = {
    ...NO_RECORDS_METRICS,
    webhookDelivery: (outcome) => result.list.push(outcome),
    webhookRetry: () => (result.retries += 1),
  };
  return result;
}

function logSink(): { lines: string[]; logger: pino.Logger } {
  const lines: string[] = [];
  return { lines, logger: pino({ level: 'debug' }, { write: (line: string) => lines.push(line) }) };
}

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('the end-of-call webhook', () => {
  it('POSTs the record with a signature the documented check accepts, and a tampered body fails it', async () => {
    receiver = await startReceiver([204]);
    const counts = outcomes();
    const { lines, logger } = logSink();
    sender = new WebhookSender({ url: receiver.url, secret: SECRET, timeoutMs: 2000, retries: 2, logger, metrics: counts.metrics });
    const record = sampleRecord();
    sender.enqueue(record);
    await until(() => counts.list.length === 1);

    expect(counts.list).toEqual(['delivered']);
    const [request] = receiver.received;
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.headers['x-bridge-call-id']).toBe(record.callId);
    expect(JSON.parse(request!.body)).toEqual(record);
    const timestamp = request!.headers['x-bridge-timestamp'] as string;
    const signature = request!.headers['x-bridge-signature'] as string;
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(5);

    expect(verifySignature({ secret: SECRET, timestamp, signature, body: request!.body })).toBe(true);
    expect(verifySignature({ secret: SECRET, timestamp, signature, body: Buffer.from(request!.body) })).toBe(true);
    const tampered = request!.body.replace('caller_hangup', 'agent_hangup');
    expect(verifySignature({ secret: SECRET, timestamp, signature, body: tampered })).toBe(false);
    expect(verifySignature({ secret: 'other-secret', timestamp, signature, body: request!.body })).toBe(false);
    expect(verifySignature({ secret: SECRET, timestamp: String(Number(timestamp) + 1), signature, body: request!.body })).toBe(false);
    // A replay ten minutes later is refused by the timestamp window.
    expect(verifySignature({ secret: SECRET, timestamp, signature, body: request!.body, nowMs: Date.now() + 600_000 })).toBe(false);
    expect(verifySignature({ secret: SECRET, timestamp: undefined, signature, body: request!.body })).toBe(false);

    // Logs name the host only: neither the secret nor the URL's query string.
    const log = lines.join('');
    expect(log).not.toContain(SECRET);
    expect(log).not.toContain('do-not-log');
  });

  it('retries a 500 with backoff, gives up after the configured retries, and counts it', async () => {
    receiver = await startReceiver([500]);
    const counts = outcomes();
    const { lines, logger } = logSink();
    const backoffMs = vi.fn((retry: number) => 10 * retry);
    sender = new WebhookSender({ url: receiver.url, secret: SECRET, timeoutMs: 2000, retries: 3, backoffMs, logger, metrics: counts.metrics });
    sender.enqueue(sampleRecord());
    await until(() => counts.list.length === 1);

    expect(receiver.received).toHaveLength(4);
    expect(backoffMs.mock.calls.map(([n]) => n)).toEqual([1, 2, 3]);
    expect(counts.retries).toBe(3);
    expect(counts.list).toEqual(['failed']);
    // Each attempt is signed afresh and verifies on its own.
    for (const request of receiver.received) {
      const { 'x-bridge-timestamp': timestamp, 'x-bridge-signature': signature } = request.headers as Record<string, string>;
      expect(verifySignature({ secret: SECRET, timestamp, signature, body: request.body })).toBe(true);
    }
    expect(lines.filter((line) => line.includes('webhook delivery failed'))).toHaveLength(1);
    expect(sender.pending).toBe(0);
  });

  it('succeeds on a retry after a 503 and a refused connection; does not retry a 400', async () => {
    receiver = await startReceiver([503, 200]);
    const counts = outcomes();
    sender = new WebhookSender({ url: receiver.url, secret: SECRET, timeoutMs: 2000, retries: 3, backoffMs: () => 5, logger: pino({ level: 'silent' }), metrics: counts.metrics });
    sender.enqueue(sampleRecord());
    await until(() => counts.list.length === 1);
    expect(counts.list).toEqual(['delivered']);
    expect(receiver.received).toHaveLength(2);
    await sender.close(0);

    // Nothing listens at this port any more: connection refused is retried like a 5xx.
    const deadUrl = receiver.url;
    await receiver.close();
    receiver = undefined;
    const dead = outcomes();
    sender = new WebhookSender({ url: deadUrl, secret: SECRET, timeoutMs: 2000, retries: 2, backoffMs: () => 5, logger: pino({ level: 'silent' }), metrics: dead.metrics });
    sender.enqueue(sampleRecord());
    await until(() => dead.list.length === 1);
    expect(dead.list).toEqual(['failed']);
    expect(dead.retries).toBe(2);
    await sender.close(0);

    receiver = await startReceiver([400]);
    const refused = outcomes();
    sender = new WebhookSender({ url: receiver.url, secret: SECRET, timeoutMs: 2000, retries: 3, backoffMs: () => 5, logger: pino({ level: 'silent' }), metrics: refused.metrics });
    sender.enqueue(sampleRecord());
    await until(() => refused.list.length === 1);
    expect(refused.list).toEqual(['failed']);
    expect(receiver.received).toHaveLength(1);
  });

  it('times out a receiver that does not answer and retries it', async () => {
    // It never answers: a failure can only come from the sender's own timeout.
    receiver = await startReceiver([200], 'never');
    const counts = outcomes();
    sender = new WebhookSender({ url: receiver.url, secret: SECRET, timeoutMs: 100, retries: 1, backoffMs: () => 5, logger: pino({ level: 'silent' }), metrics: counts.metrics });
    sender.enqueue(sampleRecord());
    await until(() => counts.list.length === 1);
    expect(counts.list).toEqual(['failed']);
    expect(counts.retries).toBe(1);
    expect(receiver.received).toHaveLength(2);
  });

  it('bounds its queue: records beyond it are dropped and counted, and enqueue never waits', async () => {
    receiver = await startReceiver([200], 200);
    const counts = outcomes();
    sender = new WebhookSender({ url: receiver.url, secret: SECRET, timeoutMs: 2000, retries: 0, maxQueued: 3, concurrency: 1, logger: pino({ level: 'silent' }), metrics: counts.metrics });
    const accepted = Array.from({ length: 6 }, () => sender!.enqueue(sampleRecord()));
    // One in flight, three queued, two dropped.
    expect(accepted).toEqual([true, true, true, true, false, false]);
    expect(counts.list).toEqual(['dropped', 'dropped']);
    await until(() => counts.list.length === 6, 5000);
    expect(counts.list.filter((o) => o === 'delivered')).toHaveLength(4);
  });

  it('gives queued deliveries a grace period at shutdown, then drops the rest', async () => {
    receiver = await startReceiver([200], 300);
    const counts = outcomes();
    sender = new WebhookSender({ url: receiver.url, secret: SECRET, timeoutMs: 2000, retries: 0, concurrency: 1, logger: pino({ level: 'silent' }), metrics: counts.metrics });
    for (let i = 0; i < 3; i++) sender.enqueue(sampleRecord());
    await sender.close(450);
    // Returned with work left: some delivered within the grace, the rest dropped, not awaited.
    expect(counts.list).toContain('delivered');
    expect(counts.list).toContain('dropped');
    expect(sender.enqueue(sampleRecord())).toBe(false);
  });
});
