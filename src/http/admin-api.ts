/**
 * Operator actions on a running bridge, behind the admin token: list live calls, hang one up,
 * drain (stop admitting calls; readiness turns 503 so the load balancer moves on), reload agents.
 */
import type { FastifyPluginCallback } from 'fastify';
import type { EndReason } from '../call/end-reason.js';
import type { CallIdentity } from '../call/media-leg.js';
import type { Logger } from '../log.js';
import { callIdParams, errorSchema, transportSchema, unauthorizedResponse } from './api-schemas.js';
import { ADMIN_SECURITY, requireBearer } from './bearer-auth.js';

/** A live call as the admin API needs it (src/call/call.ts). */
export interface LiveCall {
  readonly id: string;
  readonly identity: CallIdentity;
  readonly profile: { readonly id: string };
  readonly state: string;
  elapsedMs(): number;
  hangup(reason: EndReason): Promise<void>;
}

/** The registry as the admin API needs it (src/call/registry.ts). */
export interface LiveCalls {
  readonly size: number;
  readonly draining: boolean;
  list(): LiveCall[];
  get(callId: string): LiveCall | undefined;
  drain(): void;
}

/** A live call anywhere in the cluster (records.store: postgres). */
export interface ClusterLiveCall {
  callId: string;
  instanceId: string;
  agentId: string;
  from: string | null;
  to: string;
  transport: string;
  startedAt: number;
}

/** The cluster as the admin API needs it (src/cluster-setup.ts). */
export interface ClusterAdmin {
  readonly instanceId: string;
  list(): Promise<ClusterLiveCall[]>;
  /** Members with an unexpired lease. */
  instances(): Promise<string[]>;
  /** Ask the owner to hang up; resolves with the owner, or undefined when no member has the call. */
  routeHangup(callId: string): Promise<string | undefined>;
  /** Ask one member ('*': every member) to drain; this process drains itself directly. */
  routeDrain(target: string): Promise<void>;
  /** Record this process's own drain for the others to see. */
  markDraining(): Promise<void>;
}

/** The agent-profile reload: `ok` false when the new files were refused (the old ones stay). */
export type ReloadResult = { ok: boolean } & Record<string, unknown>;
export type ReloadAgents = () => ReloadResult | Promise<ReloadResult>;

export interface AdminApiOptions {
  calls: LiveCalls;
  adminToken: string;
  reloadAgents?: ReloadAgents;
  /** In a cluster: list, hang up and drain across every process. */
  cluster?: ClusterAdmin;
  logger: Logger;
}

const liveCallSchema = {
  type: 'object',
  properties: {
    callId: { type: 'string' },
    agentId: { type: 'string' },
    from: { type: 'string', nullable: true },
    to: { type: 'string' },
    transport: transportSchema,
    state: { type: 'string', enum: ['starting', 'active', 'ending', 'ended'] },
    elapsedMs: { type: 'integer' },
    instance: { type: 'string', description: 'The bridge process that owns the call (in a cluster)' },
  },
  required: ['callId', 'agentId', 'from', 'to', 'transport', 'state', 'elapsedMs'],
} as const;

const reloadResultSchema = {
  type: 'object',
  additionalProperties: true,
  properties: { ok: { type: 'boolean' } },
  required: ['ok'],
} as const;

export const adminApi: FastifyPluginCallback<AdminApiOptions> = (app, opts, done) => {
  app.addHook('onRequest', requireBearer(opts.adminToken));
  const { calls, cluster } = opts;

  app.get(
    '/admin/calls',
    {
      schema: {
        summary: 'Live calls',
        tags: ['admin'],
        security: ADMIN_SECURITY,
        response: {
          200: {
            type: 'object',
            properties: { draining: { type: 'boolean' }, calls: { type: 'array', items: liveCallSchema } },
            required: ['draining', 'calls'],
          },
          401: unauthorizedResponse,
          503: errorSchema,
        },
      },
    },
    async (_req, reply) => {
      const local = calls.list().map((call) => ({
        callId: call.id,
        agentId: call.profile.id,
        from: call.identity.from ?? null,
        to: call.identity.to,
        transport: call.identity.transport,
        state: call.state,
        elapsedMs: Math.round(call.elapsedMs()),
        ...(cluster ? { instance: cluster.instanceId } : {}),
      }));
      if (cluster === undefined) return { draining: calls.draining, calls: local };
      // This process's calls as it knows them; the others' as the cluster's table has them.
      const mine = new Set(local.map((call) => call.callId));
      const now = Date.now();
      let listed;
      try {
        listed = await cluster.list();
      } catch (err) {
        // A partial list would read as "these are all the calls": say plainly that it is not known.
        opts.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'cluster calls not listed');
        return reply.code(503).send({ error: 'cluster_unavailable', message: "the cluster's database did not answer" });
      }
      const others = listed
        .filter((call) => !mine.has(call.callId) && call.instanceId !== cluster.instanceId)
        .map((call) => ({
          callId: call.callId,
          agentId: call.agentId,
          from: call.from,
          to: call.to,
          transport: call.transport,
          state: 'active',
          elapsedMs: Math.max(0, now - call.startedAt),
          instance: call.instanceId,
        }));
      return { draining: calls.draining, calls: [...local, ...others] };
    },
  );

  app.post<{ Params: { id: string } }>(
    '/admin/calls/:id/hangup',
    {
      schema: {
        summary: 'End a live call (end reason admin_hangup)',
        tags: ['admin'],
        security: ADMIN_SECURITY,
        params: callIdParams,
        response: {
          200: {
            type: 'object',
            properties: { callId: { type: 'string' }, endReason: { type: 'string', enum: ['admin_hangup'] } },
            required: ['callId', 'endReason'],
          },
          202: {
            type: 'object',
            description: 'The call is on another bridge process: the hang-up was sent to it',
            properties: {
              callId: { type: 'string' },
              endReason: { type: 'string', enum: ['admin_hangup'] },
              instance: { type: 'string' },
            },
            required: ['callId', 'endReason', 'instance'],
          },
          401: unauthorizedResponse,
          404: errorSchema,
          409: errorSchema,
        },
      },
    },
    async (req, reply) => {
      const call = calls.get(req.params.id);
      if (call === undefined && cluster !== undefined) {
        const owner = await cluster.routeHangup(req.params.id);
        if (owner !== undefined) {
          opts.logger.info({ callId: req.params.id, instance: owner }, 'admin hangup sent to the owning process');
          return reply.code(202).send({ callId: req.params.id, endReason: 'admin_hangup' as const, instance: owner });
        }
      }
      if (call === undefined) return reply.code(404).send({ error: 'not_found', message: 'no live call with that id' });
      if (call.state === 'ending' || call.state === 'ended') {
        return reply.code(409).send({ error: 'conflict', message: 'the call is already ending' });
      }
      opts.logger.info({ callId: call.id }, 'admin hangup');
      await call.hangup('admin_hangup');
      return { callId: call.id, endReason: 'admin_hangup' as const };
    },
  );

  app.post<{ Querystring: { instance?: string } }>(
    '/admin/drain',
    {
      schema: {
        summary: 'Stop admitting calls; live calls carry on and /readyz answers 503',
        description: 'In a cluster, `instance` names the process to drain (its id, or `all`); without it, this process.',
        tags: ['admin'],
        security: ADMIN_SECURITY,
        querystring: {
          type: 'object',
          properties: { instance: { type: 'string', minLength: 1, maxLength: 100 } },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: {
              draining: { type: 'boolean' },
              activeCalls: { type: 'integer' },
              instances: { type: 'array', items: { type: 'string' }, description: 'The processes told to drain' },
            },
            required: ['draining', 'activeCalls'],
          },
          400: errorSchema,
          401: unauthorizedResponse,
          404: errorSchema,
        },
      },
    },
    async (req, reply) => {
      const target = req.query.instance;
      const drainHere = async (): Promise<void> => {
        if (!calls.draining) opts.logger.info({ activeCalls: calls.size }, 'admin drain: no new calls admitted');
        calls.drain();
        await cluster?.markDraining();
      };
      if (target === undefined || (cluster !== undefined && target === cluster.instanceId)) {
        await drainHere();
        return { draining: true, activeCalls: calls.size, ...(cluster ? { instances: [cluster.instanceId] } : {}) };
      }
      if (cluster === undefined) {
        return reply.code(400).send({ error: 'bad_request', message: 'instance is only meaningful in a cluster (records.store: postgres)' });
      }
      const members = await cluster.instances();
      if (target === 'all') {
        await drainHere();
        await cluster.routeDrain('*');
        opts.logger.info({ instances: members.length }, 'admin drain sent to every process');
        return { draining: true, activeCalls: calls.size, instances: members };
      }
      if (!members.includes(target)) return reply.code(404).send({ error: 'not_found', message: 'no live bridge process with that id' });
      await cluster.routeDrain(target);
      opts.logger.info({ instance: target }, 'admin drain sent to another process');
      return { draining: calls.draining, activeCalls: calls.size, instances: [target] };
    },
  );

  app.post(
    '/admin/agents/reload',
    {
      schema: {
        summary: 'Reload agent profiles from disk (live calls keep the profile they started with)',
        tags: ['admin'],
        security: ADMIN_SECURITY,
        response: {
          200: reloadResultSchema,
          401: unauthorizedResponse,
          422: { ...reloadResultSchema, description: 'The new agent files were refused; the previous ones stay in force' },
          500: errorSchema,
          501: errorSchema,
        },
      },
    },
    async (_req, reply) => {
      if (opts.reloadAgents === undefined) {
        return reply.code(501).send({ error: 'not_implemented', message: 'agent reload is not available in this bridge' });
      }
      try {
        const result = await opts.reloadAgents();
        opts.logger.info({ ok: result.ok }, 'admin agent reload');
        return reply.code(result.ok ? 200 : 422).send(result);
      } catch (err) {
        opts.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'admin agent reload failed');
        return reply.code(500).send({ error: 'reload_failed', message: err instanceof Error ? err.message : String(err) });
      }
    },
  );
  done();
};
