/**
 * The schema of one agent file (config/agents/*.yaml). Errors carry the field's path and say what
 * to write instead; the loader adds the file name. Checks that need more than one field (a keypad
 * entry naming a transfer target) are here too, so they are reported like any other mistake.
 */
import { z } from 'zod';
import { isTimeZone, parseRange, WEEKDAYS } from './business-hours.js';
import { parseNumberPattern } from './number-routing.js';
import { TOOL_NAME, transferWebhookSchema, webhookToolSchema, type WebhookToolFile } from './webhook-file.js';

const greetingFile = z.object({ path: z.string().min(1), transcript: z.string().min(1) }).strict();

const greetingSchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('model'), instructions: z.string().min(1), fallback: greetingFile.optional() }).strict(),
  z.object({ mode: z.literal('file'), path: z.string().min(1), transcript: z.string().min(1) }).strict(),
  z.object({ mode: z.literal('none') }).strict(),
]);

const vadCommon = {
  threshold: z.number().min(-1).max(1).default(0.5),
  prefixPaddingMs: z.number().int().min(0).max(5000).default(300),
  silenceDurationMs: z.number().int().min(200).max(6000).default(800),
};

export const BUILTIN_TOOL_NAMES = ['end_call', 'transfer_call', 'collect_digits'] as const;
export type BuiltinToolName = (typeof BUILTIN_TOOL_NAMES)[number];

export type ToolEntry = { builtin: BuiltinToolName } | { webhook: WebhookToolFile };

/** A tools entry is a built-in's name or a webhook tool; parsed by hand for clear messages. */
const toolsSchema = z.array(z.unknown()).transform((entries, ctx): ToolEntry[] => {
  const out: ToolEntry[] = [];
  entries.forEach((entry, i) => {
    if (typeof entry === 'string') {
      if ((BUILTIN_TOOL_NAMES as readonly string[]).includes(entry)) out.push({ builtin: entry as BuiltinToolName });
      else ctx.addIssue({ code: 'custom', path: [i], message: `unknown built-in tool "${entry}": use ${BUILTIN_TOOL_NAMES.join(', ')}, or declare a webhook tool (name, description, parameters, url)` });
      return;
    }
    const parsed = webhookToolSchema.safeParse(entry);
    if (parsed.success) out.push({ webhook: parsed.data });
    else for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', path: [i, ...issue.path.map(String)], message: issue.message });
  });
  return out;
});

const DESTINATION = /^(sips?|tel):\S+$|^\+?[0-9*#]+$/;

const transferTargetSchema = z.union([
  z.string(),
  z.object({ to: z.string(), description: z.string().min(1).optional() }).strict(),
]).transform((target) => (typeof target === 'string' ? { to: target } : target))
  .refine((target) => DESTINATION.test(target.to.replace(/[\s().-]/g, '')), {
    message: 'write a SIP URI ("sip:billing@pbx.example.com"), a tel: URI or a phone number ("+15550123")',
  });

const sayField = z.string().min(1).optional();

const keypadEntrySchema = z.discriminatedUnion('action', [
  /** Transfer without asking the model; with `say`, the model speaks that line first. */
  z.object({ action: z.literal('transfer'), target: z.string().min(1), say: sayField }).strict(),
  z.object({ action: z.literal('end_call'), say: sayField }).strict(),
  z.object({ action: z.literal('say'), instructions: z.string().min(1) }).strict(),
]);

export const agentFileSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'use lower-case letters, digits, - and _'),
    /** Exact numbers, "+1555*" prefixes, "/regex/" or "*" (see number-routing.ts). May be empty
     *  for an agent that only answers after hours for another one. */
    numbers: z.array(z.string().min(1)).default([]),
    model: z.string().min(1).optional(),
    region: z.enum(['singapore', 'beijing']).optional(),
    /** Unset: the model family's default voice (qwen3.5/3.8: Tina). Checked against the model at load. */
    voice: z.string().min(1).optional(),
    /** The protocol has no language setting: this becomes a line of the instructions. */
    language: z.string().min(1).optional(),
    instructions: z.string().min(1).optional(),
    /** Instructions kept in their own file, relative to the agent file's folder. */
    instructionsFile: z.string().min(1).optional(),
    greeting: greetingSchema.default({ mode: 'none' }),
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
    businessHours: z
      .object({
        timeZone: z.string().refine(isTimeZone, { message: 'use an IANA time zone such as "America/New_York"' }),
        weekly: z.object(Object.fromEntries(WEEKDAYS.map((day) => [day, z.array(z.string()).optional()]))).strict(),
        holidays: z.array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'write dates as YYYY-MM-DD')).default([]),
      })
      .strict()
      .optional(),
    /** Outside business hours: another agent answers, or this one with another greeting. */
    afterHours: z
      .object({ agent: z.string().min(1).optional(), greeting: greetingSchema.optional(), instructions: z.string().min(1).optional() })
      .strict()
      .optional(),
    transfer: z
      .object({
        targets: z.record(z.string(), transferTargetSchema),
        /** Longest wait for the transfer's outcome (REFER's NOTIFY, or the webhook). */
        timeoutMs: z.number().int().min(1000).max(120_000).default(30_000),
        webhook: transferWebhookSchema.optional(),
      })
      .strict()
      .optional(),
    keypad: z.record(z.string(), keypadEntrySchema).default({}),
    tools: toolsSchema.default([]),
  })
  .strict()
  .superRefine((file, ctx) => {
    const issue = (path: Array<string | number>, message: string): void => ctx.addIssue({ code: 'custom', path, message });
    if ((file.instructions === undefined) === (file.instructionsFile === undefined)) {
      issue(['instructions'], 'give either instructions (inline) or instructionsFile (a file beside this one), not both or neither');
    }
    file.numbers.forEach((text, i) => {
      const parsed = parseNumberPattern(text);
      if (typeof parsed === 'string') issue(['numbers', i], parsed);
    });
    if (file.businessHours) {
      for (const [day, ranges] of Object.entries(file.businessHours.weekly)) {
        (ranges ?? []).forEach((range, i) => {
          const parsed = parseRange(range);
          if (typeof parsed === 'string') issue(['businessHours', 'weekly', day, i], parsed);
        });
      }
      if (!file.afterHours) issue(['afterHours'], 'say what happens outside businessHours: afterHours.agent or afterHours.greeting');
    }
    if (file.afterHours) {
      const { agent, greeting, instructions } = file.afterHours;
      if (!file.businessHours) issue(['businessHours'], 'afterHours needs businessHours (timeZone and weekly)');
      if (agent !== undefined && (greeting !== undefined || instructions !== undefined)) {
        issue(['afterHours'], 'give either afterHours.agent (another agent answers) or afterHours.greeting/instructions (this agent answers), not both');
      }
      if (agent === undefined && greeting === undefined) issue(['afterHours'], 'give afterHours.agent or afterHours.greeting');
      if (agent === file.id) issue(['afterHours', 'agent'], 'an agent cannot be its own after-hours agent');
    }
    const targets = Object.keys(file.transfer?.targets ?? {});
    for (const name of targets) {
      if (!/^[a-z][a-z0-9_]*$/.test(name)) issue(['transfer', 'targets', name], 'name targets with lower-case letters, digits and _ ("billing")');
    }
    for (const [key, entry] of Object.entries(file.keypad)) {
      if (!/^[0-9*#A-D]$/.test(key)) issue(['keypad', key], 'keys are single digits: 0-9, *, # or A-D (quote them: "0")');
      if (entry.action === 'transfer' && !targets.includes(entry.target)) {
        issue(['keypad', key, 'target'], targets.length ? `unknown target "${entry.target}": use one of ${targets.join(', ')}` : 'add transfer.targets first');
      }
    }
    const names = new Set<string>();
    file.tools.forEach((tool, i) => {
      const name = 'builtin' in tool ? tool.builtin : tool.webhook.name;
      if (names.has(name)) issue(['tools', i], `tool ${name} is listed twice`);
      names.add(name);
      if ('webhook' in tool && (BUILTIN_TOOL_NAMES as readonly string[]).includes(name)) issue(['tools', i, 'name'], `${name} is a built-in tool: give the webhook another name`);
    });
    if (names.has('transfer_call') && targets.length === 0) issue(['tools'], 'transfer_call needs transfer.targets (e.g. billing: "sip:billing@pbx.example.com")');
  });

export type AgentFile = z.infer<typeof agentFileSchema>;
export type GreetingFileEntry = z.infer<typeof greetingSchema>;
export { TOOL_NAME };
