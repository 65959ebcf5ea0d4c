/**
 * The HTTP surface: health, readiness and metrics, and the OpenAPI description of every route.
 * Built without listening, so tests use `inject()` and the entry point decides where to listen;
 * the composition root registers the calls and admin APIs onto it. The fork endpoint shares this
 * server (WebSocket upgrades on /media/*).
 */
import Fastify, { type FastifyInstance, type FastifyPluginCallback } from 'fastify';
import type { Registry } from 'prom-client';
import type { CallRegistry } from '../call/registry.js';
import { openApiOptions, swagger } from './openapi.js';

export interface HttpDeps {
  calls: Pick<CallRegistry, 'draining' | 'size'>;
  metrics: Registry;
  /** Extra readiness conditions (e.g. the SIP connection); all must hold. */
  readinessChecks?: Array<() => { ok: boolean; detail: string }>;
  /** False when a separate ops listener serves /metrics (buildOpsServer). Default true. */
  serveMetrics?: boolean;
}

export function buildHttpServer(deps: HttpDeps): FastifyInstance {
  const app = Fastify({ logger: false });
  // First, so it sees every route declared after it (they are, inside plugins loaded after it).
  void app.register(swagger, openApiOptions);
  void app.register(opsRoutes(deps));
  return app;
}

/**
 * The ops listener (ops.port): health, readiness and metrics on an address of their own, so
 * Prometheus scrapes a private interface and the public one carries no metrics.
 */
export function buildOpsServer(deps: HttpDeps): FastifyInstance {
  const app = Fastify({ logger: false });
  void app.register(swagger, openApiOptions);
  void app.register(opsRoutes({ ...deps, serveMetrics: true }));
  return app;
}

const statusSchema = { type: 'object', properties: { status: { type: 'string' } }, required: ['status'] } as const;

function opsRoutes(deps: HttpDeps): FastifyPluginCallback {
  return (app, _opts, done) => {
    app.get('/healthz', { schema: { summary: 'Liveness: the process answers', tags: ['ops'], response: { 200: statusSchema } } }, () => ({
      status: 'ok',
    }));

    app.get(
      '/readyz',
      {
        schema: {
          summary: 'Readiness: admitting calls (503 while draining or when the SIP link is down)',
          tags: ['ops'],
          response: {
            200: { ...statusSchema, properties: { ...statusSchema.properties, activeCalls: { type: 'integer' } } },
            503: { ...statusSchema, properties: { ...statusSchema.properties, failing: { type: 'array', items: { type: 'string' } } } },
          },
        },
      },
      (_req, reply) => {
        const failing: string[] = [];
        if (deps.calls.draining) failing.push('draining');
        for (const check of deps.readinessChecks ?? []) {
          const result = check();
          if (!result.ok) failing.push(result.detail);
        }
        if (failing.length > 0) return reply.code(503).send({ status: 'not ready', failing });
        return { status: 'ready', activeCalls: deps.calls.size };
      },
    );

    if (deps.serveMetrics !== false) registerMetrics(app, deps.metrics);

    app.get('/openapi.json', { schema: { summary: 'This description (OpenAPI 3)', tags: ['ops'] } }, () => app.swagger());
    done();
  };
}

function registerMetrics(app: FastifyInstance, metrics: Registry): void {
  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics',
        tags: ['ops'],
        produces: ['text/plain'],
        response: { 200: { description: 'Prometheus text exposition format', type: 'string' } },
      },
    },
    async (_req, reply) => {
      const body = await metrics.metrics();
      return reply.type(metrics.contentType).send(body);
    },
  );
}
