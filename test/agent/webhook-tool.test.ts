/**
 * Webhook tools against real HTTP servers on 127.0.0.1, through the agent file that declares
 * them (so `${ENV}` expansion, the call context and the per-call tools are all in the path).
 */
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentConfigError } from '../../src/agent/load-agents.js';
import type { CallTools } from '../../src/call/tool-runner.js';
import { agentsFolder, loadFolder } from '../support/agent-folder.js';
import { TEST_IDENTITY } from '../support/call-harness.js';
import { sendJson, startHttpStub, type HttpStub, type StubHandler } from '../support/http-stub.js';

const SECRET = 's3cret-token-4f9a';

const ORDERS_AGENT = `
id: orders
numbers: ["*"]
instructions: Help with orders.
tools:
  - name: lookup_order
    description: Look up an order by its number.
    parameters:
      type: object
      properties: { order_number: { type: string } }
      required: [order_number]
    url: \${ORDERS_URL}/lookup
    headers:
      Authorization: Bearer \${ORDERS_TOKEN}
      X-Client: qwen-phone-bridge
    timeoutMs: 300
    retries: 2
    maxResponseBytes: 256
`;

let stub: HttpStub | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

async function ordersTools(handler: StubHandler, logLines: string[] = []): Promise<{ tools: CallTools; stub: HttpStub }> {
  stub = await startHttpStub(handler);
  const logger = pino({ level: 'debug' }, { write: (line: string) => logLines.push(line) });
  const set = loadFolder(agentsFolder({ 'orders.yaml': ORDERS_AGENT }), {
    env: { ORDERS_URL: stub.url, ORDERS_TOKEN: SECRET },
    logger,
  });
  return { tools: set.resolve('+15550100')!.openTools({ callId: 'call-42', identity: TEST_IDENTITY }), stub };
}

async function lookup(tools: CallTools, signal = new AbortController().signal): Promise<unknown> {
  const outcome = await tools.run('lookup_order', { order_number: '40012345' }, { callId: 'call-42', signal });
  expect(outcome.then).toEqual({ action: 'none' });
  return JSON.parse(outcome.output);
}

describe('webhook tools', () => {
  it('POSTs the arguments with the call context and headers from the environment; the JSON answer is the output', async () => {
    const { tools, stub } = await ordersTools((_req, res) => sendJson(res, 200, { status: 'shipped', carrier: 'UPS', eta: '2026-07-02' }));
    expect(await lookup(tools)).toEqual({ status: 'shipped', carrier: 'UPS', eta: '2026-07-02' });
    expect(stub.requests).toHaveLength(1);
    const req = stub.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/lookup');
    expect(req.headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(req.headers['x-client']).toBe('qwen-phone-bridge');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.body).toEqual({
      tool: 'lookup_order',
      arguments: { order_number: '40012345' },
      call: { callId: 'call-42', externalId: 'CA1', from: '+15550199', to: '+15550100', agentId: 'orders' },
    });
  });

  it('retries a 500 (twice, as configured) and then gives the model a short error', async () => {
    const { tools, stub } = await ordersTools((_req, res) => sendJson(res, 500, { error: 'database down' }));
    expect(await lookup(tools)).toEqual({ error: 'lookup_order failed: the service answered 500' });
    expect(stub.requests).toHaveLength(3);
  });

  it('succeeds when a retry does; a 4xx is not retried', async () => {
    const flaky = await ordersTools((_req, res, n) => (n === 1 ? sendJson(res, 503, {}) : sendJson(res, 200, { status: 'packed' })));
    expect(await lookup(flaky.tools)).toEqual({ status: 'packed' });
    expect(flaky.stub.requests).toHaveLength(2);
    await flaky.stub.close();

    const missing = await ordersTools((_req, res) => sendJson(res, 404, { error: 'no such order' }));
    expect(await lookup(missing.tools)).toEqual({ error: 'lookup_order failed: the service answered 404' });
    expect(missing.stub.requests).toHaveLength(1);
  });

  it('retries a dropped connection (network error)', async () => {
    const { tools, stub } = await ordersTools((req, res, n) => {
      if (n < 3) res.socket?.destroy();
      else sendJson(res, 200, { status: 'delivered' });
    });
    expect(await lookup(tools)).toEqual({ status: 'delivered' });
    expect(stub.requests).toHaveLength(3);
  });

  it('gives up after timeoutMs without retrying (the caller is waiting in silence)', async () => {
    // The service never answers: the answer can only come from the tool's own timeout (300 ms).
    const { tools, stub } = await ordersTools(() => undefined);
    const started = performance.now();
    expect(await lookup(tools)).toEqual({ error: 'lookup_order failed: the service did not answer in time' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(stub.requests).toHaveLength(1);
  });

  it('turns a malformed or oversized answer into an error for the model', async () => {
    const bad = await ordersTools((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status": "shipp'));
    expect(await lookup(bad.tools)).toEqual({ error: 'lookup_order failed: the service sent a malformed answer' });
    await bad.stub.close();
    const big = await ordersTools((_req, res) => sendJson(res, 200, { notes: 'x'.repeat(1_000) }));
    expect(await lookup(big.tools)).toEqual({ error: 'lookup_order failed: the service sent too large an answer' });
  });

  it('stops waiting when the call ends', async () => {
    const { tools } = await ordersTools(() => undefined); // never answers
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    expect(await lookup(tools, controller.signal)).toEqual({ error: 'lookup_order failed: the call ended' });
  });

  it('never writes a header value to the logs, whatever happens', async () => {
    const lines: string[] = [];
    const { tools } = await ordersTools((_req, res, n) => (n <= 3 ? sendJson(res, 500, {}) : sendJson(res, 200, { ok: 1 })), lines);
    await lookup(tools); // three 500s: logged as a failure
    await lookup(tools); // success: logged too
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.join('\n')).not.toContain(SECRET);
  });

  it('refuses to load when a header names an unset variable, naming the variable and not leaking values', () => {
    const dir = agentsFolder({ 'orders.yaml': ORDERS_AGENT });
    let message = '';
    try {
      loadFolder(dir, { env: { ORDERS_URL: 'http://127.0.0.1:9' } });
    } catch (err) {
      expect(err).toBeInstanceOf(AgentConfigError);
      message = (err as Error).message;
    }
    expect(message).toContain("orders.yaml: tools.0.headers.Authorization: environment variable ORDERS_TOKEN is not set; set it in the bridge's environment");
    expect(message).not.toContain('127.0.0.1:9');
  });
});
