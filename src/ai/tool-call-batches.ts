/**
 * The model's function calls, held per response until that response is over. Pure state: the
 * session feeds it events and sends what it returns.
 *
 * Why hold them: the Qwen team's own client never sends a function_call_output before the parent
 * response's `response.done` (the service answers an early one with "Unknown function call id"),
 * never runs a call whose parent ended cancelled or failed, and asks for the continuation once,
 * after every call of that response has its output. Alibaba's samples do the same. So:
 * - a call is noted from whichever event carries it first (function_call_arguments.done,
 *   output_item.done, response.done.output), once per call_id;
 * - at `response.done` the calls of a completed response are released to run, the calls of a
 *   response that did not complete are dropped (a barge-in must not hang up or transfer);
 * - outputs are collected until every released call of that response has one; then all of them
 *   go out together, followed by one `response.create`.
 */
import type { FunctionCallItem } from './qwen-events.js';

/** A completed response's calls, released to run. */
export interface ReleasedCalls {
  responseId: string;
  calls: FunctionCallItem[];
}

export interface ToolOutput {
  callId: string;
  output: string;
}

export type DoneVerdict =
  | { kind: 'none' }
  | { kind: 'release'; batch: ReleasedCalls }
  | { kind: 'drop'; calls: FunctionCallItem[]; status: string };

/** call_ids remembered to recognise a call seen twice (several events carry the same call). */
const REMEMBERED_CALL_IDS = 256;

interface AwaitingOutputs {
  responseId: string;
  pending: Set<string>;
  outputs: ToolOutput[];
}

export class ToolCallBatches {
  /** Calls of responses still in progress, by response id. */
  readonly #collecting = new Map<string, FunctionCallItem[]>();
  /** Released batches whose outputs are not all in yet, by call id. */
  readonly #awaiting = new Map<string, AwaitingOutputs>();
  readonly #seen: string[] = [];

  /** Notes a call of `responseId`; false when this call_id was seen before. */
  noteCall(responseId: string, call: FunctionCallItem): boolean {
    if (this.#seen.includes(call.callId)) return false;
    this.#seen.push(call.callId);
    if (this.#seen.length > REMEMBERED_CALL_IDS) this.#seen.shift();
    const calls = this.#collecting.get(responseId) ?? [];
    calls.push(call);
    this.#collecting.set(responseId, calls);
    return true;
  }

  /** The response ended: its calls run (completed) or are dropped (anything else). */
  onResponseDone(responseId: string, status: string, callsInOutput: readonly FunctionCallItem[]): DoneVerdict {
    for (const call of callsInOutput) this.noteCall(responseId, call);
    const calls = this.#collecting.get(responseId);
    this.#collecting.delete(responseId);
    if (calls === undefined || calls.length === 0) return { kind: 'none' };
    if (status !== 'completed') return { kind: 'drop', calls, status };
    const batch: AwaitingOutputs = { responseId, pending: new Set(calls.map((c) => c.callId)), outputs: [] };
    for (const call of calls) this.#awaiting.set(call.callId, batch);
    return { kind: 'release', batch: { responseId, calls } };
  }

  /**
   * Records one output. Returns the batch's outputs, in the order they came, once the last one
   * is in; `unknown` when no released call has this id (late, or never released).
   */
  onOutput(callId: string, output: string): { kind: 'wait' } | { kind: 'send'; outputs: ToolOutput[] } | { kind: 'unknown' } {
    const batch = this.#awaiting.get(callId);
    if (batch === undefined || !batch.pending.has(callId)) return { kind: 'unknown' };
    batch.pending.delete(callId);
    this.#awaiting.delete(callId);
    batch.outputs.push({ callId, output });
    return batch.pending.size === 0 ? { kind: 'send', outputs: batch.outputs } : { kind: 'wait' };
  }
}
