/**
 * A response that calls tools (§9): response.created, then after the "thinking" delay an optional
 * spoken preamble (a whole assistant message, as the live service may send before the call),
 * then per call output_item.added (arguments ""), conversation.item.created,
 * function_call_arguments.delta(s), function_call_arguments.done (with `name`) and
 * output_item.done, and finally response.done whose output holds every item.
 *
 * Documented mode sends the calls in one burst. Live mode spreads the end over
 * `timing.toolCallDoneDelayMs` (half before each call's output_item.done, half before
 * response.done), so a client that sends a call's output as soon as its arguments are done sends
 * it before the response is done, which the service refuses ("Unknown function call id").
 */
import { newId } from './ids.js';
import type { CancelTimer } from './session-timers.js';
import type { FunctionCallItem, ItemStatus, OutputItem, ResponseStatus, StatusDetails } from './server-events.js';
import type { ScriptedToolCall } from './script.js';
import { SpeechPart } from './speech-part.js';
import {
  responseObject,
  type ActiveResponse,
  type EarlyEnd,
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

export interface ToolCallPlan {
  calls: readonly ScriptedToolCall[];
  preamble: { text: string; pcm: Int16Array } | undefined;
  source: ResponseSource;
}

interface EmittedCall {
  call: ScriptedToolCall;
  callId: string;
  itemId: string;
  arguments: string;
  outputIndex: number;
  done: boolean;
}

export class FunctionCallResponse implements ActiveResponse {
  readonly id = newId('resp');
  private readonly calls: EmittedCall[];
  private readonly preamble: SpeechPart | undefined;
  private readonly output: OutputItem[] = [];
  private emitted = 0;
  private finished = false;
  private cancelTimer: CancelTimer = () => undefined;

  constructor(
    private readonly env: ResponseEnvironment,
    readonly index: number,
    private readonly plan: ToolCallPlan,
  ) {
    const offset = plan.preamble ? 1 : 0;
    this.calls = plan.calls.map((call, i) => ({
      call,
      callId: newId('call'),
      itemId: newId('item'),
      arguments: documentedArgumentsString(call.arguments),
      outputIndex: offset + i,
      done: false,
    }));
    this.preamble =
      plan.preamble &&
      new SpeechPart(env, this.id, 0, plan.preamble, {
        audioDelta: (count) => env.hooks.onAudioDelta(index, count),
        streamed: () => {
          this.output.push(this.preamble!.close('completed'));
          this.emitNextCall();
        },
      });
  }

  /** The first call's id (kept for callers that know one call per response). */
  get callId(): string {
    return this.calls[0]!.callId;
  }

  start(): void {
    this.env.send({ type: 'response.created', response: responseObject(this.env, this.id, 'in_progress', []) });
    this.cancelTimer = this.env.timers.after(this.env.timing.firstDeltaDelayMs, () => {
      if (this.preamble) this.preamble.begin();
      else this.emitNextCall();
    });
  }

  stop(end: EarlyEnd): void {
    if (this.finished) return;
    this.cancelTimer();
    if (this.preamble?.started && this.output.length === 0) this.output.push(this.preamble.close('incomplete'));
    // A call whose arguments went out but whose item is not done yet ends incomplete.
    for (const call of this.calls.slice(0, this.emitted)) if (!call.done) this.closeCall(call, 'incomplete');
    this.finish(end.status, end.details);
  }

  abandon(): void {
    this.cancelTimer();
    this.preamble?.abandon();
    this.finished = true;
  }

  private item(call: EmittedCall, status: ItemStatus, args: string): FunctionCallItem {
    return {
      id: call.itemId,
      object: 'realtime.item',
      type: 'function_call',
      status,
      call_id: call.callId,
      name: call.call.name,
      arguments: args,
    };
  }

  private get stepDelayMs(): number {
    return this.env.timing.toolCallDoneDelayMs / 2;
  }

  /** Runs `next` now in the documented burst, or after half the done delay in live mode. */
  private then(next: () => void): void {
    if (this.stepDelayMs <= 0) next();
    else this.cancelTimer = this.env.timers.after(this.stepDelayMs, next);
  }

  private emitNextCall(): void {
    if (this.finished) return;
    const call = this.calls[this.emitted];
    if (!call) {
      this.then(() => this.finish('completed'));
      return;
    }
    this.emitted++;
    const ref = { response_id: this.id, item_id: call.itemId, output_index: call.outputIndex, call_id: call.callId };
    const added = this.item(call, 'in_progress', '');
    this.env.send({ type: 'response.output_item.added', response_id: this.id, output_index: call.outputIndex, item: added });
    this.env.send({ type: 'conversation.item.created', item: structuredClone(added) });
    for (const delta of fragments(call.arguments)) {
      this.env.send({ type: 'response.function_call_arguments.delta', ...ref, delta });
    }
    const name = call.call.name;
    this.env.send({ type: 'response.function_call_arguments.done', ...ref, name, arguments: call.arguments });
    this.then(() => {
      this.closeCall(call, 'completed');
      if (this.emitted < this.calls.length) this.emitNextCall();
      else this.then(() => this.finish('completed'));
    });
  }

  private closeCall(call: EmittedCall, status: ItemStatus): void {
    call.done = true;
    const done = this.item(call, status, call.arguments);
    this.env.send({ type: 'response.output_item.done', response_id: this.id, output_index: call.outputIndex, item: done });
    this.output.push(structuredClone(done));
  }

  private finish(status: ResponseStatus, details?: StatusDetails): void {
    if (this.finished) return;
    this.finished = true;
    const done = this.calls.filter((c) => c.done);
    const args = done.map((c) => c.arguments).join('');
    const spoken = this.preamble?.text ?? '';
    const audioMs = this.preamble?.started && this.preamble.hasAudio ? this.preamble.audioMs : undefined;
    const usage = this.env.hooks.usage({ text: spoken + args, audioMs });
    this.env.send({ type: 'response.done', response: responseObject(this.env, this.id, status, this.output, usage, details) });
    const first = this.calls[0]!;
    this.env.hooks.onFinished({
      id: this.id,
      index: this.index,
      kind: 'function_call',
      source: this.plan.source,
      status,
      text: args,
      audioMs: audioMs ?? 0,
      audioDeltas: this.preamble?.sentDeltas ?? 0,
      plannedAudioMs: this.preamble?.plannedAudioMs ?? 0,
      firstAudioAtMs: this.preamble?.firstAudioAtMs,
      callId: first.callId,
      toolName: first.call.name,
      calls: this.calls.map((c) => ({ callId: c.callId, toolName: c.call.name, arguments: c.arguments })),
    });
  }
}
