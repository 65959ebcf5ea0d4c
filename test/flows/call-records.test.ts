/**
 * Call records, webhooks, recordings and the admin API on the whole bridge: a simulated caller on
 * a real socket, the Qwen simulator, HTTP on 127.0.0.1.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { readWav } from '../../src/audio/wav.js';
import type { CallRecord } from '../../src/call/call-record.js';
import { loadConfig } from '../../src/config/load.js';
import type { CallSummary } from '../../src/call/call-store.js';
import { verifySignature } from '../../src/records/webhook-signature.js';
import { say, silence, waitForAgentAudio, waitForAgentSilence } from '../../src/sim/caller/index.js';
import { startBridge, type Bridge } from '../support/bridge-harness.js';

const ADMIN_TOKEN = 'flow-admin-token';
const WEBHOOK_SECRET = 'flow-webhook-secret';

let bridge: Bridge | undefined;
let receiver: Server | undefined;
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
  receiver?.closeAllConnections();
  await new Promise((resolve) => (receiver ? receiver.close(resolve) : resolve(undefined)));
  receiver = undefined;
});

async function api(path: string, init: { method?: string; token?: string } = {}): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`http://127.0.0.1:${bridge!.port}${path}`, {
    method: init.method ?? 'GET',
    headers: init.token === '' ? {} : { authorization: `Bearer ${init.token ?? ADMIN_TOKEN}` },
  });
  const text = await res.text();
  return { status: res.status, body: text.length > 0 ? (JSON.parse(text) as unknown) : undefined };
}

async function eventually<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function startReceiver(): Promise<{ url: string; received: Array<{ headers: IncomingHttpHeaders; body: string }> }> {
  const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/call-ended`, received };
}

describe('call records on the whole bridge', () => {
  it('stores a complete, queryable record of a real call, signs its webhook and records it in stereo', async () => {
    const hook = await startReceiver();
    bridge = await startBridge({
      env: { BRIDGE_ADMIN_TOKEN: ADMIN_TOKEN, RECORDS_WEBHOOK_URL: hook.url, RECORDS_WEBHOOK_SECRET: WEBHOOK_SECRET },
      configure: (config) => {
        config.records.recording.enabled = true;
      },
    });
    const caller = await bridge.caller({ from: '+15557771234' });
    await caller.run([waitForAgentAudio(), waitForAgentSilence(400), say('order-status'), waitForAgentAudio(), waitForAgentSilence(400), silence(100)]);
    const record = await bridge.ended(1);

    // The stored record is the call's record, whole.
    const stored = await eventually(async () => {
      const res = await api(`/calls/${record.callId}`);
      return res.status === 200 ? (res.body as CallRecord) : undefined;
    });
    expect(stored).toEqual(JSON.parse(JSON.stringify(record)));
    expect(stored.turns.some((t) => t.role === 'caller' && /order/i.test(t.text))).toBe(true);
    expect(stored.turns.filter((t) => t.role === 'agent').length).toBeGreaterThanOrEqual(2);
    expect(stored.usage.outputTokens).toBeGreaterThan(0);
    expect(stored.stats.firstAudioMs).toBeGreaterThan(0);

    const listed = await api(`/calls?number=${encodeURIComponent('+15557771234')}&agent=${record.agentId}`);
    expect(listed.status).toBe(200);
    const { calls } = listed.body as { calls: CallSummary[] };
    expect(calls).toEqual([
      expect.objectContaining({ callId: record.callId, from: '+15557771234', to: '+15550100', transport: 'twilio', endReason: 'caller_hangup' }),
    ]);
    expect((await api('/calls?number=%2B19999999999')).body).toEqual({ calls: [], nextCursor: null });
    expect((await api('/calls/not-a-call')).status).toBe(404);
    expect((await api('/calls', { token: '' })).status).toBe(401);
    expect((await api('/calls', { token: 'wrong' })).status).toBe(401);

    // The webhook got the same record, signed.
    const delivery = await eventually(() => hook.received[0]);
    expect(JSON.parse(delivery.body)).toEqual(stored);
    expect(
      verifySignature({
        secret: WEBHOOK_SECRET,
        timestamp: delivery.headers['x-bridge-timestamp'] as string,
        signature: delivery.headers['x-bridge-signature'] as string,
        body: delivery.body,
      }),
    ).toBe(true);

    // The recording: stereo at the leg's rate, the agent's first audio where the record says it began.
    const path = join(bridge.dataDir, 'recordings', `${record.callId}.wav`);
    const bytes = await eventually(() => {
      const file = existsSync(path) ? readFileSync(path) : undefined;
      return file && file.readUInt32LE(40) > 0 ? file : undefined;
    });
    const left = readWav(bytes, { stereo: 'left' });
    const right = readWav(bytes, { stereo: 'right' }).samples;
    expect(left.channelsInFile).toBe(2);
    expect(left.sampleRateHz).toBe(8000);
    expect(left.samples.length / 8).toBeGreaterThan(record.durationMs - 500);
    const firstAgentSample = right.findIndex((s) => s !== 0);
    expect(firstAgentSample / 8).toBeGreaterThanOrEqual(record.stats.firstAudioMs! - 1);
    expect(firstAgentSample / 8).toBeLessThan(record.stats.firstAudioMs! + 500);
    // The caller spoke while the agent was silent: the left channel has speech of its own.
    const callerEnergy = left.samples.reduce((sum, s) => sum + Math.abs(s), 0);
    expect(callerEnergy).toBeGreaterThan(0);
  }, 40_000);

  it('lets an operator list and hang up a live call (admin_hangup) and drain the bridge', async () => {
    bridge = await startBridge({ env: { BRIDGE_ADMIN_TOKEN: ADMIN_TOKEN } });
    const caller = await bridge.caller();
    const heard = caller.run([waitForAgentAudio(), silence(20_000)]);
    const live = await eventually(async () => {
      const { body } = await api('/admin/calls');
      const calls = (body as { calls: Array<{ callId: string; state: string }> }).calls;
      return calls.find((call) => call.state === 'active');
    });
    expect((await api('/admin/calls', { token: 'wrong' })).status).toBe(401);
    expect((await api('/admin/calls/nope/hangup', { method: 'POST' })).status).toBe(404);

    const hungUp = await api(`/admin/calls/${live.callId}/hangup`, { method: 'POST' });
    expect(hungUp).toEqual({ status: 200, body: { callId: live.callId, endReason: 'admin_hangup' } });
    const record = await bridge.ended(1);
    expect(record.callId).toBe(live.callId);
    expect(record.endReason).toBe('admin_hangup');
    expect((await heard).endedBy).toBe('bridge');
    const stored = await eventually(async () => {
      const res = await api(`/calls?endReason=admin_hangup`);
      return (res.body as { calls: CallSummary[] }).calls[0];
    });
    expect(stored.callId).toBe(record.callId);

    expect((await api('/readyz', { token: '' })).status).toBe(200);
    expect(await api('/admin/drain', { method: 'POST' })).toEqual({ status: 200, body: { draining: true, activeCalls: 0 } });
    const ready = await api('/readyz', { token: '' });
    expect(ready.status).toBe(503);
    expect(bridge.app.calls.refusal('+15550100')).toBe('draining');

    // The composition root wires agent reload to the admin API.
    const reload = await api('/admin/agents/reload', { method: 'POST' });
    expect(reload.status).toBe(200);
    expect(reload.body).toMatchObject({ ok: true });
  }, 40_000);

  it('serves no admin or records routes without BRIDGE_ADMIN_TOKEN, and says so in the log', async () => {
    bridge = await startBridge();
    expect((await api('/admin/calls')).status).toBe(404);
    expect((await api('/calls')).status).toBe(404);
    expect((await api('/healthz', { token: '' })).status).toBe(200);

    const lines: string[] = [];
    const config = loadConfig({ LOG_LEVEL: 'warn', RECORDS_DB_PATH: ':memory:' });
    config.secrets = { dashscopeApiKey: 'k', mediaToken: 'm' };
    const app = buildApp(config, pino({ level: 'warn' }, { write: (line: string) => lines.push(line) }));
    await app.close();
    expect(lines.join('')).toContain('BRIDGE_ADMIN_TOKEN is not set');
  });
});
