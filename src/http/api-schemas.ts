/**
 * JSON schemas shared by the HTTP routes: they validate requests, serialize responses and are
 * what GET /openapi.json is generated from, so the description cannot drift from the routes.
 */
import { END_REASONS } from '../call/end-reason.js';

export const errorSchema = {
  type: 'object',
  properties: { error: { type: 'string' }, message: { type: 'string' } },
  required: ['error'],
} as const;

export const unauthorizedResponse = { ...errorSchema, description: 'Missing or wrong bearer token' } as const;

export const callIdParams = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1, description: 'The bridge call id' } },
  required: ['id'],
} as const;

export const endReasonSchema = { type: 'string', enum: [...END_REASONS] } as const;

export const transportSchema = { type: 'string', enum: ['twilio', 'telnyx', 'audio_fork', 'asterisk', 'rtp'] } as const;

export const callSummarySchema = {
  type: 'object',
  properties: {
    callId: { type: 'string' },
    externalId: { type: 'string', description: "The platform's call id (Twilio CallSid, SIP Call-ID, …)" },
    transport: transportSchema,
    from: { type: 'string', nullable: true },
    to: { type: 'string' },
    agentId: { type: 'string' },
    startedAt: { type: 'integer', description: 'Epoch milliseconds' },
    endedAt: { type: 'integer', description: 'Epoch milliseconds' },
    durationMs: { type: 'integer' },
    endReason: endReasonSchema,
  },
  required: ['callId', 'externalId', 'transport', 'from', 'to', 'agentId', 'startedAt', 'endedAt', 'durationMs', 'endReason'],
} as const;

const looseObject = { type: 'object', additionalProperties: true } as const;

/** The stored call record (src/call/call-record.ts); nested shapes are described there. */
export const callRecordSchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    callId: { type: 'string' },
    identity: {
      type: 'object',
      additionalProperties: true,
      properties: {
        externalId: { type: 'string' },
        to: { type: 'string' },
        from: { type: 'string' },
        transport: transportSchema,
        attributes: { type: 'object', additionalProperties: { type: 'string' } },
      },
    },
    agentId: { type: 'string' },
    startedAt: { type: 'integer' },
    answeredAt: { type: 'integer' },
    endedAt: { type: 'integer' },
    durationMs: { type: 'integer' },
    endReason: endReasonSchema,
    endDetail: { type: 'string' },
    turns: { type: 'array', items: looseObject, description: 'Transcript as the caller heard it; interrupted agent turns carry heardMs/heardText' },
    bargeIns: { type: 'array', items: looseObject },
    toolCalls: { type: 'array', items: looseObject },
    transfers: { type: 'array', items: looseObject, description: 'Transfer attempts: outcome (transferred, failed, timeout), SIP status, reason' },
    usage: looseObject,
    stats: looseObject,
  },
} as const;
