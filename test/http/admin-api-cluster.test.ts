/**
 * The admin API of a cluster member, against an in-memory stand-in for the cluster (the real one,
 * on PostgreSQL with two processes, is in test/flows/cluster.test.ts): what it answers for calls
 * and processes that are not its own, and when the cluster's database does not answer.
 */
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { adminApi, type ClusterAdmin, type ClusterLiveCall, type LiveCall, type LiveCalls } from '../../src/http/admin-api.js';
import { buildHttpServer } from '../../src/http/http-server.js';

const TOKEN = 'admin-token-for-tests';
const auth = { authorization: `Bearer ${TOKEN}` };

const noLocalCalls: LiveCalls & { draining: boolean } = {
  size: 0,
  draining: false,
  list: (): LiveCall[] => [],
  get: () => undefined,
  drain() {
    this.draining = true;
  },
};

class FakeCluster implements ClusterAdmin {
  readonly instanceId = 'me';
  calls: ClusterLiveCall[] = [];
  members = ['me', 'other'];
  down = false;
  readonly sent: string[] = [];
  markedDraining = false;
  list(): Promise<ClusterLiveCall[]> {
    return this.down ? Promise.reject(new Error('connect ECONNREFUSED')) : Promise.resolve(this.calls);
  }
  instances(): Promise<string[]> {
    return Promise.resolve(this.members);
  }
  routeHangup(callId: string): Promise<string | undefined> {
    const owner = this.calls.find((call) => call.callId === callId)?.instanceId;
    if (owner !== undefined) this.sent.push(`hangup ${callId} → ${owner}`);
    return Promise.resolve(owner);
  }
  routeDrain(target: string): Promise<void> {
    this.sent.push(`drain → ${target}`);
    return Promise.resolve();
  }
  markDraining(): Promise<void> {
    this.markedDraining = true;
    return Promise.resolve();
  }
}

let http: FastifyInstance | undefined;
afterEach(async () => {
  await http?.close();
  http = undefined;
  noLocalCalls.draining = false;
});

async function start(cluster: FakeCluster): Promise<FastifyInstance> {
  http = buildHttpServer({ calls: noLocalCalls, metrics: new Registry() });
  await http.register(adminApi, { calls: noLocalCalls, cluster, adminToken: TOKEN, logger: pino({ level: 'silent' }) });
  await http.ready();
  return http;
}

describe('the admin API in a cluster', () => {
  it("lists other processes' calls with their owner, hands a hang-up to the owner, and answers 503 when the database is away", async () => {
    const cluster = new FakeCluster();
    cluster.calls = [
      {
        callId: 'c9',
        instanceId: 'other',
        agentId: 'support',
        from: null,
        to: '+15550100',
        transport: 'rtp',
        startedAt: Date.now() - 5000,
      },
    ];
    const app = await start(cluster);
    const listed = await app.inject({ method: 'GET', url: '/admin/calls', headers: auth });
    expect(listed.json()).toMatchObject({ calls: [{ callId: 'c9', instance: 'other', state: 'active', transport: 'rtp' }] });
    expect(listed.json<{ calls: Array<{ elapsedMs: number }> }>().calls[0]!.elapsedMs).toBeGreaterThanOrEqual(5000);

    const hangup = await app.inject({ method: 'POST', url: '/admin/calls/c9/hangup', headers: auth });
    expect(hangup.statusCode).toBe(202);
    expect(hangup.json()).toEqual({ callId: 'c9', endReason: 'admin_hangup', instance: 'other' });
    expect(cluster.sent).toEqual(['hangup c9 → other']);
    expect((await app.inject({ method: 'POST', url: '/admin/calls/nobody/hangup', headers: auth })).statusCode).toBe(404);

    cluster.down = true;
    const away = await app.inject({ method: 'GET', url: '/admin/calls', headers: auth });
    expect(away.statusCode).toBe(503);
    expect(away.json()).toMatchObject({ error: 'cluster_unavailable' });
  });

  it('drains itself by default, another process by id, every process with all, and refuses an unknown id', async () => {
    const cluster = new FakeCluster();
    const app = await start(cluster);
    expect((await app.inject({ method: 'POST', url: '/admin/drain?instance=ghost', headers: auth })).statusCode).toBe(404);
    const other = await app.inject({ method: 'POST', url: '/admin/drain?instance=other', headers: auth });
    expect(other.json()).toEqual({ draining: false, activeCalls: 0, instances: ['other'] });
    expect(noLocalCalls.draining).toBe(false);
    const all = await app.inject({ method: 'POST', url: '/admin/drain?instance=all', headers: auth });
    expect(all.json()).toEqual({ draining: true, activeCalls: 0, instances: ['me', 'other'] });
    expect(noLocalCalls.draining).toBe(true);
    expect(cluster.markedDraining).toBe(true);
    expect(cluster.sent).toEqual(['drain → other', 'drain → *']);
  });
});
