/**
 * The webhook parts of an agent file: webhook tools (the model calls them; the bridge POSTs the
 * arguments) and the transfer webhook (for audio-fork calls, which have no SIP REFER). URLs and
 * header values may use `${ENV_NAME}`; they are expanded at load (see env-template.ts).
 */
import { z } from 'zod';

const webhookEndpoint = {
  url: z.string().min(1, 'give the URL, for example "${ORDERS_URL}" or "https://orders.example.com/lookup"'),
  /** Header values usually reference secrets: "Bearer ${ORDERS_TOKEN}". Never logged. */
  headers: z.record(z.string(), z.string()).default({}),
};

export const TOOL_NAME = /^[a-zA-Z][a-zA-Z0-9_-]{0,63}$/;

export const webhookToolSchema = z
  .object({
    name: z.string().regex(TOOL_NAME, 'use letters, digits, _ and - (at most 64), starting with a letter'),
    description: z.string().min(1, 'tell the model when to call this tool'),
    /** JSON Schema of the arguments, passed to the model as is. */
    parameters: z
      .record(z.string(), z.unknown())
      .refine((schema) => schema.type === 'object', { message: 'parameters must be a JSON Schema with type: object' })
      .default({ type: 'object', properties: {} }),
    ...webhookEndpoint,
    method: z.literal('POST', { message: 'only POST is supported (the arguments travel as a JSON body)' }).default('POST'),
    /** Per attempt. The caller hears silence meanwhile, so keep it short. */
    timeoutMs: z.number().int().min(100).max(30_000).default(4_000),
    /** Extra attempts after a network error or a 5xx answer (not after a timeout or a 4xx). */
    retries: z.number().int().min(0).max(3).default(1),
    /** Larger answers are refused rather than cut (half a JSON document helps nobody). */
    maxResponseBytes: z.number().int().min(64).max(65_536).default(4_096),
  })
  .strict();

export type WebhookToolFile = z.infer<typeof webhookToolSchema>;

export const transferWebhookSchema = z
  .object({
    ...webhookEndpoint,
    timeoutMs: z.number().int().min(100).max(30_000).default(5_000),
  })
  .strict();
