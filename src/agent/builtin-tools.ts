/**
 * Tools every agent may enable by name. Their declarations go to the model in session.update;
 * the runners turn a call into a result for the model and, for call control, an action the call
 * performs once the model has spoken its line (the line comes in the response after the tool
 * output; the tool-call response itself may carry a short spoken preamble).
 */
import { z } from 'zod';
import type { ToolDeclaration } from '../call/agent-profile.js';
import type { ToolOutcome } from '../call/tool-runner.js';
import type { CollectRequest } from './digit-collector.js';
import { declareTool, parseToolArguments } from './tool-schema.js';

export interface TransferTarget {
  to: string;
  description?: string;
}

const END_CALL_ARGS = z.object({
  // Any value is accepted as text: a hang-up never fails over how its reason was written.
  reason: z.coerce.string().optional().describe('Why the call is ending, in a few words.'),
});

export const END_CALL: ToolDeclaration = declareTool(
  'end_call',
  'Hang up the phone call. Call this only after you have said goodbye, when the caller has nothing more to ask.',
  END_CALL_ARGS,
);

function transferCallArgs(targets: ReadonlyMap<string, TransferTarget>) {
  const names = [...targets.keys()];
  return z.object({
    target: z.enum(names).describe('Who to transfer the caller to.'),
    reason: z.coerce.string().optional().describe('Why, in a few words.'),
  });
}

export function transferCallDeclaration(targets: ReadonlyMap<string, TransferTarget>): ToolDeclaration {
  const list = [...targets].map(([name, t]) => (t.description ? `${name} (${t.description})` : name)).join('; ');
  return declareTool(
    'transfer_call',
    `Transfer the caller to a person or department: ${list}. Call it once the caller agrees to be transferred. ` +
      'Afterwards say one short sentence telling the caller you are transferring them; the transfer starts when you finish speaking.',
    transferCallArgs(targets),
  );
}

const COLLECT_DIGITS_ARGS = z.object({
  purpose: z.string().describe('What the digits are, e.g. "account number".'),
  // Coerced: models sometimes send numbers as strings.
  max_digits: z.coerce.number().int().min(1).max(32).default(16).describe('Stop after this many digits.'),
  terminator: z.enum(['#', '*', '']).default('#').describe('Key that ends the entry; "" for none. Default "#".'),
  timeout_ms: z.coerce
    .number()
    .int()
    .min(2000)
    .max(60000)
    .default(10_000)
    .describe('Give up after this long without a key press. Default 10000.'),
});

export const COLLECT_DIGITS: ToolDeclaration = declareTool(
  'collect_digits',
  'Receive digits the caller types on the phone keypad, such as an account number. First ask the caller out loud to type ' +
    'them (for example "Please type your account number, then press the pound key"), then call this tool. It returns ' +
    '{"digits": "...", "ended_by": "max_digits" | "terminator" | "timeout"} once max_digits were typed, the terminator key ' +
    'was pressed, or the caller stopped typing for timeout_ms. If ended_by is timeout and digits is empty, ask again or offer help.',
  COLLECT_DIGITS_ARGS,
);

export function endCall(args: unknown): ToolOutcome {
  const parsed = END_CALL_ARGS.safeParse(args);
  const reason = parsed.success ? parsed.data.reason : undefined;
  return {
    output: JSON.stringify({ ok: true, note: 'If you have not said goodbye yet, say it now in one sentence.' }),
    then: { action: 'hangup', reason: 'agent_hangup', ...(reason !== undefined ? { detail: reason } : {}) },
  };
}

export function transferCall(args: unknown, targets: ReadonlyMap<string, TransferTarget>, timeoutMs: number): ToolOutcome {
  const parsed = transferCallArgs(targets).safeParse(args);
  if (!parsed.success) {
    // The model most often names a target that does not exist: say which ones do.
    const named = typeof args === 'object' && args !== null ? (args as Record<string, unknown>).target : undefined;
    const target = named === undefined || named === null ? '' : typeof named === 'string' ? named : JSON.stringify(named);
    return {
      output: JSON.stringify({ error: `unknown transfer target "${target}"`, targets: [...targets.keys()] }),
      then: { action: 'none' },
    };
  }
  const { target } = parsed.data;
  return {
    output: JSON.stringify({
      ok: true,
      note: `Now tell the caller in one short sentence that you are transferring them to ${target}. The transfer starts when you finish.`,
    }),
    then: { action: 'transfer', target, destination: targets.get(target)!.to, timeoutMs },
  };
}

/** The model's arguments, parsed with the declared schema; an Error the model can act on otherwise. */
export function collectRequest(args: unknown): CollectRequest {
  const parsed = parseToolArguments('collect_digits', COLLECT_DIGITS_ARGS, args);
  return {
    maxDigits: parsed.max_digits,
    terminator: parsed.terminator === '' ? undefined : parsed.terminator,
    timeoutMs: parsed.timeout_ms,
  };
}
