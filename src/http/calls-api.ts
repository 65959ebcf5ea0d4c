/**
 * GET /calls and GET /calls/:id: ended calls from the records store, behind the admin token.
 * Lists are newest first, paged with an opaque cursor (the last row's sort key), so a page never
 * repeats or skips a call that was written while a client was paging.
 */
import type { FastifyPluginCallback } from 'fastify';
import type { CallStore } from '../call/call-store.js';
import { decodeCursor, encodeCursor } from './page-cursor.js';
import { callIdParams, callRecordSchema, callSummarySchema, endReasonSchema, errorSchema, unauthorizedResponse } from './api-schemas.js';
import { ADMIN_SECURITY, requireBearer } from './bearer-auth.js';

export interface CallsApiOptions {
  store: CallStore;
  adminToken: string;
}

export const MAX_PAGE = 500;
const DEFAULT_PAGE = 50;

const timeParam = (what: string) =>
  ({ type: 'string', description: `${what}: ISO 8601 (2025-01-31T09:00:00Z) or epoch milliseconds` }) as const;

const listQuery = {
  type: 'object',
  properties: {
    since: timeParam('Calls that started at or after this time'),
    until: timeParam('Calls that started before this time'),
    number: { type: 'string', description: 'Caller or dialed number, exactly as recorded (e.g. +15550100)' },
    agent: { type: 'string', description: 'Agent id' },
    endReason: endReasonSchema,
    externalId: { type: 'string', description: "The platform's call id" },
    limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE, default: DEFAULT_PAGE },
    cursor: { type: 'string', description: 'nextCursor of the previous page' },
  },
  additionalProperties: false,
} as const;

interface ListQuery {
  since?: string;
  until?: string;
  number?: string;
  agent?: string;
  endReason?: string;
  externalId?: string;
  limit: number;
  cursor?: string;
}

/** Epoch ms from "1738314000000" or an ISO 8601 time; undefined when it is neither. */
export function parseTime(text: string): number | undefined {
  if (/^\d{1,15}$/.test(text)) return Number(text);
  // Date.parse accepts loose forms too; require something that starts like an ISO date.
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

export const callsApi: FastifyPluginCallback<CallsApiOptions> = (app, opts, done) => {
  app.addHook('onRequest', requireBearer(opts.adminToken));

  app.get<{ Querystring: ListQuery }>(
    '/calls',
    {
      schema: {
        summary: 'Ended calls, newest first',
        tags: ['calls'],
        security: ADMIN_SECURITY,
        querystring: listQuery,
        response: {
          200: {
            type: 'object',
            properties: {
              calls: { type: 'array', items: callSummarySchema },
              nextCursor: { type: 'string', nullable: true, description: 'Pass as cursor for the next page; null on the last page' },
            },
            required: ['calls', 'nextCursor'],
          },
          400: errorSchema,
          401: unauthorizedResponse,
        },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const since = q.since === undefined ? undefined : parseTime(q.since);
      const until = q.until === undefined ? undefined : parseTime(q.until);
      if ((q.since !== undefined && since === undefined) || (q.until !== undefined && until === undefined)) {
        return reply.code(400).send({ error: 'bad_request', message: 'since/until must be ISO 8601 times or epoch milliseconds' });
      }
      const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
      if (q.cursor !== undefined && after === undefined) {
        return reply.code(400).send({ error: 'bad_request', message: 'cursor is not one this bridge returned' });
      }
      const page = await opts.store.query({
        limit: q.limit,
        ...(since !== undefined ? { since } : {}),
        ...(until !== undefined ? { until } : {}),
        ...(q.number !== undefined ? { number: q.number } : {}),
        ...(q.agent !== undefined ? { agentId: q.agent } : {}),
        ...(q.endReason !== undefined ? { endReason: q.endReason } : {}),
        ...(q.externalId !== undefined ? { externalId: q.externalId } : {}),
        ...(after !== undefined ? { after } : {}),
      });
      return { calls: page.calls, nextCursor: page.next === undefined ? null : encodeCursor(page.next) };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/calls/:id',
    {
      schema: {
        summary: 'One ended call: transcript, barge-ins, tool calls, usage, stats',
        tags: ['calls'],
        security: ADMIN_SECURITY,
        params: callIdParams,
        response: { 200: callRecordSchema, 401: unauthorizedResponse, 404: errorSchema },
      },
    },
    async (req, reply) => {
      const json = await opts.store.getJson(req.params.id);
      if (json === undefined) return reply.code(404).send({ error: 'not_found', message: 'no record of that call' });
      // Stored as JSON text: sent as is rather than parsed and serialized again.
      return reply.type('application/json; charset=utf-8').send(json);
    },
  );
  done();
};
