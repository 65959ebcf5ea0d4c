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
    /** JSON Schema of the arguments, passed to the model without our own `sensitive` marks. */
    parameters: z
      .record(z.string(), z.unknown())
      .refine((schema) => schema.type === 'object', { message: 'parameters must be a JSON Schema with type: object' })
      .superRefine((schema, ctx) => {
        for (const problem of sensitiveMarkProblems(schema)) ctx.addIssue({ code: 'custom', message: problem });
      })
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

/**
 * A parameter marked `sensitive: true` (at any depth of `properties`) is masked in call records,
 * webhooks and logs; the tool still receives it. The mark is ours, not JSON Schema's, so the
 * model is sent the schema without it.
 */
export function sensitiveParameters(schema: Record<string, unknown>): { paths: string[][]; forModel: Record<string, unknown> } {
  const paths: string[][] = [];
  const strip = (node: Record<string, unknown>, at: string[]): Record<string, unknown> => {
    const { sensitive, properties, ...rest } = node;
    if (sensitive === true && at.length > 0) paths.push(at);
    if (!isObject(properties)) return properties === undefined ? rest : { ...rest, properties };
    const stripped = Object.fromEntries(
      Object.entries(properties).map(([name, child]) => [name, isObject(child) ? strip(child, [...at, name]) : child]),
    );
    return { ...rest, properties: stripped };
  };
  return { paths, forModel: strip(schema, []) };
}

function sensitiveMarkProblems(schema: Record<string, unknown>, at = 'parameters'): string[] {
  const problems: string[] = [];
  if ('sensitive' in schema && typeof schema.sensitive !== 'boolean') problems.push(`${at}.sensitive: write true or false`);
  if (isObject(schema.properties)) {
    for (const [name, child] of Object.entries(schema.properties)) {
      if (isObject(child)) problems.push(...sensitiveMarkProblems(child, `${at}.properties.${name}`));
    }
  }
  return problems;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export const transferWebhookSchema = z
  .object({
    ...webhookEndpoint,
    timeoutMs: z.number().int().min(100).max(30_000).default(5_000),
  })
  .strict();
