/**
 * How the call runs the model's tool calls and the caller's keypad. The agent layer implements
 * these ports (end_call, transfer, digit collection, keypad map, webhooks) once per call; the
 * call only sequences: run → return the output to the model → perform the follow-up action once
 * the model has spoken its line and playout has drained. The core never sees HTTP or YAML.
 */
import type { EndReason } from './end-reason.js';
import type { TransferOutcome } from './media-leg.js';
import type { SensitiveValues } from './sensitive-values.js';

export type AfterSpeaking =
  | { action: 'hangup'; reason: EndReason; detail?: string }
  /**
   * Hand the caller to `destination` (SIP URI or number) — the leg's SIP REFER, or the agent's
   * transfer webhook when the leg cannot transfer. Success ends the call as `transferred`;
   * failure (or no outcome within `timeoutMs`) keeps the call going and the model is told.
   */
  | { action: 'transfer'; target: string; destination: string; timeoutMs: number }
  | { action: 'none' };

export interface ToolOutcome {
  /** Returned to the model as the function_call_output (a string, often JSON). */
  output: string;
  /** What the call record keeps instead of `output`, when that holds what the caller typed (PINs,
   *  account numbers): records outlive calls and travel in webhooks. */
  recordOutput?: string;
  /** What the call does after the model's next response has finished playing. */
  then: AfterSpeaking;
}

export interface ToolContext {
  callId: string;
  /** Aborted when the call ends, so a slow tool (webhook, digit collection) stops waiting. */
  signal: AbortSignal;
}

export type ToolRunner = (name: string, args: unknown, ctx: ToolContext) => Promise<ToolOutcome>;

/**
 * What a keypad digit makes the call do. Any action first stops the agent mid-sentence (a key
 * press is a barge-in); then, with `say`, the model is asked to speak (per-response instructions)
 * and `then` runs after that line has played; without `say`, `then` runs at once.
 */
export interface DigitAction {
  say?: string;
  then: AfterSpeaking;
}

/**
 * Receives every DTMF digit of the call (RFC 4733, SIP INFO, fork dtmf messages). Returns an
 * action, or undefined when the digit was consumed (digit collection) or means nothing.
 */
export interface DigitSink {
  onDigit(digit: string): DigitAction | undefined;
}

/** Transfers a call whose media leg cannot (audio forks have no SIP REFER): a platform webhook. */
export type TransferWithoutLeg = (target: string, destination: string, ctx: ToolContext) => Promise<TransferOutcome>;

/** One call's view of its agent's tools, opened when the call is admitted. */
export interface CallTools {
  run: ToolRunner;
  digits?: DigitSink;
  transferWithoutLeg?: TransferWithoutLeg;
  /** What this call's records and logs must mask (sensitive arguments, collected digits); the
   *  agent layer adds values as they become known. Without it the call masks only what it can
   *  tell on its own (unparsable arguments). */
  sensitive?: SensitiveValues;
}

/** SIP final statuses a caller would understand, for the model's apology. */
const STATUS_WORDS: Record<number, string> = {
  404: 'number not found',
  408: 'no answer',
  480: 'no answer',
  486: 'busy',
  487: 'cancelled',
  600: 'busy',
  603: 'declined',
};

/**
 * What the model is told when a transfer did not happen: per-response instructions on
 * `response.create` (the adapter keeps the agent's persona in front of them). Were they ignored,
 * the model still responds; it just would not know why.
 */
export function transferFailedInstructions(target: string, outcome: { reason: string; status?: number }): string {
  const why = outcome.status !== undefined ? (STATUS_WORDS[outcome.status] ?? `${outcome.reason}, ${outcome.status}`) : outcome.reason;
  return `The transfer to ${target} failed (${why}). Tell the caller briefly, apologize, and offer other help.`;
}
