/**
 * How the call runs the model's tool calls. The agent layer implements it (end_call, transfer,
 * digit collection, webhooks); the call only sequences: run → return the output to the model →
 * perform the follow-up action once the model has spoken its line and playout has drained.
 */
import type { EndReason } from './end-reason.js';

export type AfterSpeaking =
  | { action: 'hangup'; reason: EndReason; detail?: string }
  | { action: 'none' };

export interface ToolOutcome {
  /** Returned to the model as the function_call_output (a string, often JSON). */
  output: string;
  /** What the call does after the model's next response has finished playing. */
  then: AfterSpeaking;
}

export interface ToolContext {
  callId: string;
  /** Aborted when the call ends, so a slow tool (webhook) stops waiting. */
  signal: AbortSignal;
}

export type ToolRunner = (name: string, args: unknown, ctx: ToolContext) => Promise<ToolOutcome>;
