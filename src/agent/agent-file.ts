/**
 * The schema of one agent file (config/agents/*.yaml). Parsing produces an AgentProfile plus
 * the numbers it answers; errors name the file, the field and what to write instead.
 */
import { z } from 'zod';

const greetingFile = z.object({ path: z.string().min(1), transcript: z.string().min(1) }).strict();

const vadCommon = {
  threshold: z.number().min(-1).max(1).default(0.5),
  prefixPaddingMs: z.number().int().min(0).max(5000).default(300),
  silenceDurationMs: z.number().int().min(200).max(6000).default(800),
};

export const BUILTIN_TOOL_NAMES = ['end_call'] as const;

export const agentFileSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'use lower-case letters, digits, - and _'),
    numbers: z.array(z.string().min(1)).min(1, 'list at least one dialed number, or "*" for the default agent'),
    model: z.string().min(1).optional(),
    voice: z.string().min(1).default('Tina'),
    instructions: z.string().min(1),
    greeting: z
      .discriminatedUnion('mode', [
        z.object({ mode: z.literal('model'), instructions: z.string().min(1), fallback: greetingFile.optional() }).strict(),
        z.object({ mode: z.literal('file'), path: z.string().min(1), transcript: z.string().min(1) }).strict(),
        z.object({ mode: z.literal('none') }).strict(),
      ])
      .default({ mode: 'none' }),
    turnDetection: z
      .discriminatedUnion('type', [
        z.object({ type: z.literal('server_vad'), ...vadCommon, idleTimeoutMs: z.number().int().min(5000).max(30000).optional() }).strict(),
        z.object({ type: z.literal('semantic_vad'), ...vadCommon }).strict(),
      ])
      .default({ type: 'server_vad', threshold: 0.5, prefixPaddingMs: 300, silenceDurationMs: 800 }),
    transcribeCaller: z.boolean().default(true),
    temperature: z.number().min(0).lt(2).optional(),
    maxCallDurationMs: z.number().int().positive().default(30 * 60_000),
    goodbyeInstructions: z
      .string()
      .min(1)
      .default('The call is about to end. Thank the caller and say goodbye in one short sentence.'),
    tools: z.array(z.enum(BUILTIN_TOOL_NAMES)).default([]),
  })
  .strict();

export type AgentFile = z.infer<typeof agentFileSchema>;
