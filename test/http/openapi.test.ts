/**
 * GET /openapi.json describes every route the server has — checked against the routes actually
 * registered, so a route added without a schema (or hidden by mistake) fails here.
 */
import type { FastifyInstance, RouteOptions } from 'fastify';
import pino from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { adminApi } from '../../src/http/admin-api.js';
import { callsApi } from '../../src/http/calls-api.js';
import { buildHttpServer } from '../../src/http/http-server.js';
import { openSqliteCallStore } from '../../src/records/sqlite-call-store.js';

interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>;
  components: { securitySchemes: Record<string, unknown> };
}

function fullServer(): { http: FastifyInstance; routes: string[] } {
  const calls = { draining: false, size: 0, list: () => [], get: () => undefined, drain: () => {} };
  const http = buildHttpServer({ calls, metrics: new Registry() });
  const routes: string[] = [];
  // Added before any plugin loads, so it sees every route they declare.
  http.addHook('onRoute', (route: RouteOptions) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push(`${method} ${route.url}`);
  });
  void http.register(callsApi, { store: openSqliteCallStore(':memory:'), adminToken: 't' });
  void http.register(adminApi, { calls, adminToken: 't', logger: pino({ level: 'silent' }) });
  return { http, routes };
}

/** /calls/:id → /calls/{id} */
const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3 document listing every registered route, admin ones with the bearer scheme', async () => {
    const { http, routes } = fullServer();
    const res = await http.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json<OpenApiDoc>();
    expect(doc.openapi).toMatch(/^3\./);

    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual(routes.map((route) => {
      const [method, url] = route.split(' ');
      return `${method} ${openApiPath(url!)}`;
    }).sort());
    expect(routes).toEqual(
      expect.arrayContaining([
        'GET /healthz',
        'GET /readyz',
        'GET /metrics',
        'GET /openapi.json',
        'GET /calls',
        'GET /calls/:id',
        'GET /admin/calls',
        'POST /admin/calls/:id/hangup',
        'POST /admin/drain',
        'POST /admin/agents/reload',
      ]),
    );

    expect(doc.components.securitySchemes.adminToken).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const [path, ops] of Object.entries(doc.paths)) {
      const guarded = path.startsWith('/calls') || path.startsWith('/admin');
      for (const op of Object.values(ops)) {
        expect(op.security, path).toEqual(guarded ? [{ adminToken: [] }] : undefined);
        if (guarded) expect(Object.keys(op.responses), path).toContain('401');
      }
    }
    expect(Object.keys(doc.paths['/calls/{id}']!.get!.responses)).toEqual(expect.arrayContaining(['200', '404']));
    await http.close();
  });
});
