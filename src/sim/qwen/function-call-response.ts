/**
 * A response that only calls a tool (§9): no audio and no transcript. response.created, then after
 * the "thinking" delay output_item.added (arguments ""), conversation.item.created,
 * function_call_arguments.delta(s), function_call_arguments.done (with `name`), output_item.done,
 * and response.done whose output holds the complete function_call item.
 */
import { newId } from './ids.js';
import type { CancelTimer } from './session-timers.js';
import type { FunctionCallItem, ItemStatus } from './server-events.js';
import type { ScriptedToolCall } from './script.js';
import {
  responseObject,
  type ActiveResponse,
  type EndedEarlyStatus,
  type ResponseEnvironment,
  type ResponseSource,
} from './responses.js';

/**
 * JSON with Python's default separators (", " and ": ") and a leading space, the way the docs'
 * examples print arguments (`" {\"department\": \"sales\"}"`): clients must trim before parsing.
 */
export function documentedArgumentsString(args: ScriptedToolCall['arguments']): string {
  return typeof args === 'string' ? args : ` ${pythonStyleJson(args)}`;
}

function pythonStyleJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pythonStyleJson).join(', ')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}: ${pythonStyleJson(v)}`).join(', ')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The arguments arrive in up to three fragments, so clients must concatenate (or use done). */
function fragments(text: string): string[] {
  if (text.length < 12) return [text];
  const third = Math.ceil(text.length / 3);
  return [text.slice(0, third), text.slice(third, 2 * third), text.slice(2 * third)];
}

export class FunctionCallResponse implements ActiveResponse {
  readonly id = newId('resp');
  readonly callId = newId('call');
  private readonly itemId = newId('item');
  private readonly arguments: string;
  private finished = false;
  private cancelTimer: CancelTimer = () => undefined;

  constructor(
    private readonly env: ResponseEnvironment,
    readonly index: number,
    private readonly call: ScriptedToolCall,
    private readonly source: ResponseSource,
  ) {
    this.arguments = documentedArgumentsString(call.arguments);
  }

  start(): void {
    this.env.send({ type: 'response.created', response: responseObject(this.env, this.id, 'in_progress', []) });
    this.cancelTimer = this.env.timers.after(this.env.timing.firstDeltaDelayMs, () => this.emitCall());
  }

  stop(status: EndedEarlyStatus): void {
    if (this.finished) return;
    this.cancelTimer();
    // The call is emitted in one burst, so only the "thinking" phase can be cut short: no item yet.
    this.finish(status, []);
  }

  abandon(): void {
    this.cancelTimer();
    this.finished = true;
  }

  private item(status: ItemStatus, args: string): FunctionCallItem {
    return {
      id: this.itemId,
      object: 'realtime.item',
      type: 'function_call',
      status,
      call_id: this.callId,
      name: this.call.name,
      arguments: args,
    };
  }

  private emitCall(): void {
    const ref = { response_id: this.id, item_id: this.itemId, output_index: 0, call_id: this.callId };
    const added = this.item('in_progress', '');
    this.env.send({ type: 'response.output_item.added', response_id: this.id, output_index: 0, item: added });
    this.env.send({ type: 'conversation.item.created', item: structuredClone(added) });
    for (const delta of fragments(this.arguments)) {
      this.env.send({ type: 'response.function_call_arguments.delta', ...ref, delta });
    }
    const name = this.call.name;
    this.env.send({ type: 'response.function_call_arguments.done', ...ref, name, arguments: this.arguments });
    const done = this.item('completed', this.arguments);
    this.env.send({ type: 'response.output_item.done', response_id: this.id, output_index: 0, item: done });
    this.finish('completed', [structuredClone(done)]);
  }

  private finish(status: EndedEarlyStatus | 'completed', output: FunctionCallItem[]): void {
    this.finished = true;
    const usage = this.env.hooks.usage({ text: output.length > 0 ? this.arguments : '', audioMs: undefined });
    this.env.send({ type: 'response.done', response: responseObject(this.env, this.id, status, output, usage) });
    this.env.hooks.onFinished({
      id: this.id,
      index: this.index,
      kind: 'function_call',
      source: this.source,
      status,
      text: output.length > 0 ? this.arguments : '',
      audioMs: 0,
      audioDeltas: 0,
      plannedAudioMs: 0,
      firstAudioAtMs: undefined,
      callId: this.callId,
      toolName: this.call.name,
    });
  }
}
