import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { adminApi, type LiveCall, type LiveCalls, type ReloadAgents } from '../../src/http/admin-api.js';
import { buildHttpServer } from '../../src/http/http-server.js';

const TOKEN = 'admin-token-for-tests';
const auth = { authorization: `Bearer ${TOKEN}` };

class FakeCalls implements LiveCalls {
  draining = false;
  readonly calls = new Map<string, LiveCall & { state: string; hangup: ReturnType<typeof vi.fn> }>();
  get size(): number {
    return this.calls.size;
  }
  add(id: string, state = 'active'): LiveCall & { hangup: ReturnType<typeof vi.fn> } {
    const call = {
      id,
      identity: { externalId: `CA-${id}`, to: '+15550100', from: '+15557770000', transport: 'twilio' as const, attributes: {} },
      profile: { id: 'support' },
      state,
      elapsedMs: () => 1234.6,
      hangup: vi.fn(() => {
        call.state = 'ended';
        this.calls.delete(id);
        return Promise.resolve();
      }),
    };
    this.calls.set(id, call);
    return call;
  }
  list(): LiveCall[] {
    return [...this.calls.values()];
  }
  get(callId: string): LiveCall | undefined {
    return this.calls.get(callId);
  }
  drain(): void {
    this.draining = true;
  }
}

let http: FastifyInstance | undefined;
afterEach(async () => {
  await http?.close();
  http = undefined;
});

async function start(calls: FakeCalls, reloadAgents?: ReloadAgents): Promise<FastifyInstance> {
  http = buildHttpServer({ calls, metrics: new Registry() });
  await http.register(adminApi, { calls, adminToken: TOKEN, logger: pino({ level: 'silent' }), ...(reloadAgents ? { reloadAgents } : {}) });
  await http.ready();
  return http;
}

describe('the admin API', () => {
  it('refuses every route without the right bearer token', async () => {
    const calls = new FakeCalls();
    const call = calls.add('c1');
    const app = await start(calls, () => ({ ok: true }));
    const routes: Array<['GET' | 'POST', string]> = [
      ['GET', '/admin/calls'],
      ['POST', '/admin/calls/c1/hangup'],
      ['POST', '/admin/drain'],
      ['POST', '/admin/agents/reload'],
    ];
    for (const [method, url] of routes) {
      expect((await app.inject({ method, url })).statusCode).toBe(401);
      expect((await app.inject({ method, url, headers: { authorization: 'Bearer nope' } })).statusCode).toBe(401);
    }
    // Nothing happened behind the 401s.
    expect(call.hangup).not.toHaveBeenCalled();
    expect(calls.draining).toBe(false);
  });

  it('lists live calls', async () => {
    const calls = new FakeCalls();
    calls.add('c1');
    calls.add('c2', 'starting');
    const app = await start(calls);
    const res = await app.inject({ method: 'GET', url: '/admin/calls', headers: auth });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      draining: false,
      calls: [
        { callId: 'c1', agentId: 'support', from: '+15557770000', to: '+15550100', transport: 'twilio', state: 'active', elapsedMs: 1235 },
        { callId: 'c2', agentId: 'support', from: '+15557770000', to: '+15550100', transport: 'twilio', state: 'starting', elapsedMs: 1235 },
      ],
    });
  });

  it('hangs up a live call with admin_hangup; 404 for an unknown one, 409 for one already ending', async () => {
    const calls = new FakeCalls();
    const call = calls.add('c1');
    calls.add('c2', 'ending');
    const app = await start(calls);
    const res = await app.inject({ method: 'POST', url: '/admin/calls/c1/hangup', headers: auth });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ callId: 'c1', endReason: 'admin_hangup' });
    expect(call.hangup).toHaveBeenCalledWith('admin_hangup');
    expect((await app.inject({ method: 'POST', url: '/admin/calls/c1/hangup', headers: auth })).statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: '/admin/calls/c2/hangup', headers: auth })).statusCode).toBe(409);
  });

  it('drains: readiness turns 503 while live calls carry on', async () => {
    const calls = new FakeCalls();
    calls.add('c1');
    const app = await start(calls);
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    const res = await app.inject({ method: 'POST', url: '/admin/drain', headers: auth });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ draining: true, activeCalls: 1 });
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toEqual({ status: 'not ready', failing: ['draining'] });
  });

  it('reloads agents through the injected function: 200, 422 when refused, 500 when it throws, 501 when none is wired', async () => {
    const results: Array<{ ok: boolean } & Record<string, unknown>> = [{ ok: true, agents: 3 }, { ok: false, error: 'support.yaml: voice: invalid' }];
    const reload = vi.fn(() => {
      const next = results.shift();
      return next === undefined ? Promise.reject(new Error('folder vanished')) : Promise.resolve(next);
    });
    let app = await start(new FakeCalls(), reload);
    const ok = await app.inject({ method: 'POST', url: '/admin/agents/reload', headers: auth });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ ok: true, agents: 3 });
    const refused = await app.inject({ method: 'POST', url: '/admin/agents/reload', headers: auth });
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toEqual({ ok: false, error: 'support.yaml: voice: invalid' });
    const failed = await app.inject({ method: 'POST', url: '/admin/agents/reload', headers: auth });
    expect(failed.statusCode).toBe(500);
    expect(failed.json()).toMatchObject({ error: 'reload_failed' });
    await app.close();

    app = await start(new FakeCalls());
    const none = await app.inject({ method: 'POST', url: '/admin/agents/reload', headers: auth });
    expect(none.statusCode).toBe(501);
  });
});
