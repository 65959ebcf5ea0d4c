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

/** The agent-profile reload: `ok` false when the new files were refused (the old ones stay). */
export type ReloadResult = { ok: boolean } & Record<string, unknown>;
export type ReloadAgents = () => ReloadResult | Promise<ReloadResult>;

export interface AdminApiOptions {
  calls: LiveCalls;
  adminToken: string;
  reloadAgents?: ReloadAgents;
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
  const { calls } = opts;

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
        },
      },
    },
    () => ({
      draining: calls.draining,
      calls: calls.list().map((call) => ({
        callId: call.id,
        agentId: call.profile.id,
        from: call.identity.from ?? null,
        to: call.identity.to,
        transport: call.identity.transport,
        state: call.state,
        elapsedMs: Math.round(call.elapsedMs()),
      })),
    }),
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
          401: unauthorizedResponse,
          404: errorSchema,
          409: errorSchema,
        },
      },
    },
    async (req, reply) => {
      const call = calls.get(req.params.id);
      if (call === undefined) return reply.code(404).send({ error: 'not_found', message: 'no live call with that id' });
      if (call.state === 'ending' || call.state === 'ended') {
        return reply.code(409).send({ error: 'conflict', message: 'the call is already ending' });
      }
      opts.logger.info({ callId: call.id }, 'admin hangup');
      await call.hangup('admin_hangup');
      return { callId: call.id, endReason: 'admin_hangup' as const };
    },
  );

  app.post(
    '/admin/drain',
    {
      schema: {
        summary: 'Stop admitting calls; live calls carry on and /readyz answers 503',
        tags: ['admin'],
        security: ADMIN_SECURITY,
        response: {
          200: {
            type: 'object',
            properties: { draining: { type: 'boolean' }, activeCalls: { type: 'integer' } },
            required: ['draining', 'activeCalls'],
          },
          401: unauthorizedResponse,
        },
      },
    },
    () => {
      if (!calls.draining) opts.logger.info({ activeCalls: calls.size }, 'admin drain: no new calls admitted');
      calls.drain();
      return { draining: true, activeCalls: calls.size };
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
