import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { callsApi, parseTime } from '../../src/http/calls-api.js';
import { buildHttpServer } from '../../src/http/http-server.js';
import type { CallStore, CallSummary } from '../../src/call/call-store.js';
import { openSqliteCallStore } from '../../src/records/sqlite-call-store.js';
import { sampleRecord } from '../records/sample-record.js';

const TOKEN = 'admin-token-for-tests';
const auth = { authorization: `Bearer ${TOKEN}` };

let http: FastifyInstance;
let store: CallStore;
beforeEach(async () => {
  store = openSqliteCallStore(':memory:');
  http = buildHttpServer({ calls: { draining: false, size: 0 }, metrics: new Registry() });
  await http.register(callsApi, { store, adminToken: TOKEN });
  await http.ready();
});
afterEach(async () => {
  await http.close();
  await store.close();
});

async function list(query: string): Promise<{ status: number; body: { calls: CallSummary[]; nextCursor: string | null } }> {
  const res = await http.inject({ method: 'GET', url: `/calls${query}`, headers: auth });
  return { status: res.statusCode, body: res.json() };
}

describe('GET /calls and GET /calls/:id', () => {
  it('refuses a missing or wrong token with 401, on both routes', async () => {
    await store.put([sampleRecord({ callId: 'known' })]);
    for (const url of ['/calls', '/calls/known', '/calls/unknown']) {
      const missing = await http.inject({ method: 'GET', url });
      expect(missing.statusCode).toBe(401);
      expect(missing.headers['www-authenticate']).toMatch(/^Bearer/);
      for (const authorization of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, TOKEN, `Basic ${TOKEN}`, 'Bearer ']) {
        const wrong = await http.inject({ method: 'GET', url, headers: { authorization } });
        expect(wrong.statusCode, `${url} with ${authorization}`).toBe(401);
      }
    }
    expect((await http.inject({ method: 'GET', url: '/calls/known', headers: { authorization: `bearer ${TOKEN}` } })).statusCode).toBe(200);
  });

  it('returns one full record, and 404 for an unknown call', async () => {
    const record = sampleRecord();
    await store.put([record]);
    const found = await http.inject({ method: 'GET', url: `/calls/${record.callId}`, headers: auth });
    expect(found.statusCode).toBe(200);
    expect(found.headers['content-type']).toMatch(/^application\/json/);
    expect(found.json()).toEqual(record);
    const missing = await http.inject({ method: 'GET', url: '/calls/no-such-call', headers: auth });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: 'not_found' });
  });

  it('filters by since/until (ISO or epoch ms), number, agent, end reason and external id', async () => {
    const day = Date.UTC(2025, 0, 31);
    const a = sampleRecord({ startedAt: day + 1000, from: '+15551110000', to: '+15550100', agentId: 'sales' });
    const b = sampleRecord({ startedAt: day + 2000, from: '+15552220000', to: '+15550100', endReason: 'agent_hangup' });
    const c = sampleRecord({ startedAt: day + 3000, from: '+15553330000', to: '+15551110000', agentId: 'sales', endReason: 'transferred' });
    await store.put([a, b, c]);
    const ids = async (query: string) => (await list(query)).body.calls.map((call) => call.callId);

    expect(await ids('')).toEqual([c.callId, b.callId, a.callId]);
    expect(await ids(`?since=${day + 2000}`)).toEqual([c.callId, b.callId]);
    expect(await ids(`?until=${new Date(day + 2000).toISOString()}`)).toEqual([a.callId]);
    expect(await ids(`?since=2025-01-31T00:00:01.500Z&until=2025-01-31T00:00:02.500Z`)).toEqual([b.callId]);
    expect(await ids(`?number=${encodeURIComponent('+15551110000')}`)).toEqual([c.callId, a.callId]);
    expect(await ids('?agent=sales')).toEqual([c.callId, a.callId]);
    expect(await ids('?endReason=agent_hangup')).toEqual([b.callId]);
    expect(await ids(`?externalId=${c.identity.externalId}`)).toEqual([c.callId]);
    expect(await ids('?agent=sales&endReason=caller_hangup')).toEqual([a.callId]);
    const [summary] = (await list('?limit=1')).body.calls;
    expect(summary).toEqual({
      callId: c.callId,
      externalId: c.identity.externalId,
      transport: 'twilio',
      from: '+15553330000',
      to: '+15551110000',
      agentId: 'sales',
      startedAt: day + 3000,
      endedAt: c.endedAt,
      durationMs: c.durationMs,
      endReason: 'transferred',
    });
  });

  it('pages with nextCursor until it is null', async () => {
    const records = Array.from({ length: 12 }, (_, i) => sampleRecord({ startedAt: 5000 + i }));
    await store.put(records);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await list(`?limit=5${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.calls.map((call) => call.callId));
      cursor = page.body.nextCursor;
      pages += 1;
    } while (cursor !== null);
    expect(pages).toBe(3);
    expect(seen).toEqual(records.map((r) => r.callId).reverse());
  });

  it('answers 400 for a bad time, a bad cursor, a limit over 500 or an unknown end reason', async () => {
    for (const query of ['?since=yesterday', '?until=31/01/2025', '?cursor=not-a-cursor', '?limit=501', '?limit=0', '?endReason=bored']) {
      const res = await http.inject({ method: 'GET', url: `/calls${query}`, headers: auth });
      expect(res.statusCode, query).toBe(400);
    }
    expect((await list('?limit=500')).status).toBe(200);
  });

  it('reads times as ISO 8601 or epoch milliseconds only', () => {
    expect(parseTime('1738281600000')).toBe(1_738_281_600_000);
    expect(parseTime('2025-01-31')).toBe(Date.UTC(2025, 0, 31));
    expect(parseTime('2025-01-31T10:00:00+02:00')).toBe(Date.UTC(2025, 0, 31, 8));
    expect(parseTime('Jan 31 2025')).toBeUndefined();
    expect(parseTime('2025-13-45')).toBeUndefined();
  });
});
