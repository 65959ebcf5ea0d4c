/**
 * The HTTP surface: health, readiness and metrics. Built without listening, so tests use
 * `inject()` and the entry point decides where to listen. The fork endpoint shares this server
 * (WebSocket upgrades on /media/*).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { CallRegistry } from '../call/registry.js';

export interface HttpDeps {
  calls: CallRegistry;
  metrics: Registry;
  /** Extra readiness conditions (e.g. the SIP connection); all must hold. */
  readinessChecks?: Array<() => { ok: boolean; detail: string }>;
}

export function buildHttpServer(deps: HttpDeps): FastifyInstance {
  const app = Fastify({ logger: false });

  app.get('/healthz', () => ({ status: 'ok' }));

  app.get('/readyz', (_req, reply) => {
    const failing: string[] = [];
    if (deps.calls.draining) failing.push('draining');
    for (const check of deps.readinessChecks ?? []) {
      const result = check();
      if (!result.ok) failing.push(result.detail);
    }
    if (failing.length > 0) return reply.code(503).send({ status: 'not ready', failing });
    return { status: 'ready', activeCalls: deps.calls.size };
  });

  app.get('/metrics', async (_req, reply) => {
    const body = await deps.metrics.metrics();
    return reply.type(deps.metrics.contentType).send(body);
  });

  return app;
}
