/**
 * Tools every agent may enable by name. Their declarations go to the model in session.update;
 * the runners turn a call into a result for the model and, for call control, an action the call
 * performs once the model has spoken its line (a tool-call response carries no audio, §9, so the
 * line comes in the response after the tool output).
 */
import type { ToolOutcome } from '../call/tool-runner.js';
import type { CollectRequest } from './digit-collector.js';
import type { ToolDeclaration } from '../call/agent-profile.js';

export interface TransferTarget {
  to: string;
  description?: string;
}

export const END_CALL: ToolDeclaration = {
  name: 'end_call',
  description:
    'Hang up the phone call. Call this only after you have said goodbye, when the caller has nothing more to ask.',
  parameters: {
    type: 'object',
    properties: { reason: { type: 'string', description: 'Why the call is ending, in a few words.' } },
    required: [],
  },
};

export function transferCallDeclaration(targets: ReadonlyMap<string, TransferTarget>): ToolDeclaration {
  const list = [...targets].map(([name, t]) => (t.description ? `${name} (${t.description})` : name)).join('; ');
  return {
    name: 'transfer_call',
    description:
      `Transfer the caller to a person or department: ${list}. Call it once the caller agrees to be transferred. ` +
      'Afterwards say one short sentence telling the caller you are transferring them; the transfer starts when you finish speaking.',
    parameters: {
      type: 'object',
      properties: {
        target: { type: 'string', enum: [...targets.keys()], description: 'Who to transfer the caller to.' },
        reason: { type: 'string', description: 'Why, in a few words.' },
      },
      required: ['target'],
    },
  };
}

export const COLLECT_DIGITS: ToolDeclaration = {
  name: 'collect_digits',
  description:
    'Receive digits the caller types on the phone keypad, such as an account number. First ask the caller out loud to type ' +
    'them (for example "Please type your account number, then press the pound key"), then call this tool. It returns ' +
    '{"digits": "...", "ended_by": "max_digits" | "terminator" | "timeout"} once max_digits were typed, the terminator key ' +
    'was pressed, or the caller stopped typing for timeout_ms. If ended_by is timeout and digits is empty, ask again or offer help.',
  parameters: {
    type: 'object',
    properties: {
      purpose: { type: 'string', description: 'What the digits are, e.g. "account number".' },
      max_digits: { type: 'integer', minimum: 1, maximum: 32, description: 'Stop after this many digits.' },
      terminator: { type: 'string', enum: ['#', '*', ''], description: 'Key that ends the entry; "" for none. Default "#".' },
      timeout_ms: { type: 'integer', minimum: 2000, maximum: 60000, description: 'Give up after this long without a key press. Default 10000.' },
    },
    required: ['purpose'],
  },
};

function field(args: unknown, name: string): unknown {
  return typeof args === 'object' && args !== null ? (args as Record<string, unknown>)[name] : undefined;
}

/** A model-supplied value as text (the model may send numbers where strings were asked for). */
function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function clampInt(value: unknown, min: number, max: number, fallback: number): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  return Number.isFinite(n) ? Math.min(max, Math.max(min, Math.round(n))) : fallback;
}

export function endCall(args: unknown): ToolOutcome {
  const reason = text(field(args, 'reason'));
  return {
    output: JSON.stringify({ ok: true, note: 'If you have not said goodbye yet, say it now in one sentence.' }),
    then: { action: 'hangup', reason: 'agent_hangup', ...(reason !== undefined ? { detail: reason } : {}) },
  };
}

export function transferCall(args: unknown, targets: ReadonlyMap<string, TransferTarget>, timeoutMs: number): ToolOutcome {
  const target = text(field(args, 'target')) ?? '';
  const found = targets.get(target);
  if (!found) {
    return {
      output: JSON.stringify({ error: `unknown transfer target "${target}"`, targets: [...targets.keys()] }),
      then: { action: 'none' },
    };
  }
  return {
    output: JSON.stringify({
      ok: true,
      note: `Now tell the caller in one short sentence that you are transferring them to ${target}. The transfer starts when you finish.`,
    }),
    then: { action: 'transfer', target, destination: found.to, timeoutMs },
  };
}

/** The model's arguments, clamped to sane values (it may send strings, or nothing). */
export function collectRequest(args: unknown): CollectRequest {
  const terminator = field(args, 'terminator');
  return {
    maxDigits: clampInt(field(args, 'max_digits'), 1, 32, 16),
    terminator: terminator === '' ? undefined : terminator === '*' ? '*' : '#',
    timeoutMs: clampInt(field(args, 'timeout_ms'), 2_000, 60_000, 10_000),
  };
}
