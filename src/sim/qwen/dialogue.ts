/**
 * The script's cursor for one session: which caller turn comes next, what the next response
 * should say, and which tool calls are waiting for their output.
 *
 * What a response.create answers, in order of precedence:
 *   1. a committed user turn not answered yet (manual mode, or VAD with create_response false);
 *   2. a tool-call response all of whose calls have their output → its `afterTool` speech;
 *   3. the first response.create with nothing else to answer (or after a user text item) → the
 *      greeting (or an error, by fault injection, unless a user text item was added);
 *   4. later, with `response.instructions` → the instructed reply;
 *   5. otherwise → the fallback reply (also when only some calls of a response have their output:
 *      the model answers without the missing results).
 */
import {
  isToolCallReply,
  toolCallsOf,
  type ConversationScript,
  type ScriptedReply,
  type ScriptedSpeech,
  type ScriptedToolCall,
} from './script.js';
import type { ResponseSource } from './responses.js';

export type PlannedReply =
  | { kind: 'speech'; speech: ScriptedSpeech; source: ResponseSource }
  | {
      kind: 'tool_call';
      calls: readonly ScriptedToolCall[];
      afterTool: ScriptedSpeech;
      preamble: ScriptedSpeech | undefined;
      source: ResponseSource;
    };

export type ResponseCreatePlan = { kind: 'reply'; reply: PlannedReply } | { kind: 'reject' };

/** The calls of one completed tool-call response, waiting for their outputs. */
interface PendingToolBatch {
  /** call_id → tool name and whether its output has arrived. */
  calls: Map<string, { name: string; outputReceived: boolean }>;
  afterTool: ScriptedSpeech;
}

export class Dialogue {
  private nextTurn = 0;
  private unanswered: ScriptedReply | undefined;
  private unpromptedCount = 0;
  private userTextPending = false;
  private readonly toolBatches: PendingToolBatch[] = [];

  constructor(
    private readonly script: ConversationScript,
    private readonly rejectUnprompted: 'first' | 'always' | undefined,
  ) {}

  /** A user item was committed: it takes the next scripted turn. Returns what the caller "said". */
  takeCallerTurn(): string {
    const turn = this.script.turns[this.nextTurn];
    this.nextTurn++;
    this.unanswered = turn?.reply ?? this.script.fallbackReply;
    return turn?.callerTranscript ?? this.script.unscriptedCallerTranscript;
  }

  get hasUnansweredTurn(): boolean {
    return this.unanswered !== undefined;
  }

  /** The automatic response at the end of a VAD turn (or to a response.create with input pending). */
  answerCallerTurn(): PlannedReply | undefined {
    const reply = this.unanswered;
    this.unanswered = undefined;
    if (reply === undefined) return undefined;
    if (!isToolCallReply(reply)) return { kind: 'speech', speech: reply, source: 'turn' };
    const calls = toolCallsOf(reply);
    return { kind: 'tool_call', calls, afterTool: reply.afterTool, preamble: reply.preamble, source: 'turn' };
  }

  /** A user text item was added (conversation.item.create, live mode): the next response.create has input. */
  addUserText(): void {
    this.userTextPending = true;
  }

  planResponseCreate(instructions: string | undefined): ResponseCreatePlan {
    const answer = this.answerCallerTurn();
    if (answer) return { kind: 'reply', reply: answer };
    const ready = this.toolBatches.findIndex(isComplete);
    if (ready >= 0) {
      const [batch] = this.toolBatches.splice(ready, 1);
      return { kind: 'reply', reply: { kind: 'speech', speech: batch!.afterTool, source: 'after_tool' } };
    }
    const partial = this.toolBatches.findIndex((b) => [...b.calls.values()].some((c) => c.outputReceived));
    if (partial >= 0) {
      this.toolBatches.splice(partial, 1);
      return { kind: 'reply', reply: { kind: 'speech', speech: this.script.fallbackReply, source: 'fallback' } };
    }
    const hadUserText = this.userTextPending;
    this.userTextPending = false;
    this.unpromptedCount++;
    const first = this.unpromptedCount === 1;
    const reject = this.rejectUnprompted === 'always' || (this.rejectUnprompted === 'first' && first);
    if (reject && !hadUserText) return { kind: 'reject' };
    if (first) return { kind: 'reply', reply: { kind: 'speech', speech: this.script.greeting, source: 'greeting' } };
    if (instructions !== undefined) {
      return { kind: 'reply', reply: { kind: 'speech', speech: this.script.instructedReply, source: 'instructed' } };
    }
    return { kind: 'reply', reply: { kind: 'speech', speech: this.script.fallbackReply, source: 'fallback' } };
  }

  idleReprompt(): PlannedReply {
    return { kind: 'speech', speech: this.script.idleReprompt, source: 'idle_reprompt' };
  }

  /** A tool-call response completed; the outputs of its calls may now arrive. */
  awaitToolOutputs(calls: ReadonlyArray<{ callId: string; toolName: string }>, afterTool: ScriptedSpeech): void {
    const pending = new Map(calls.map((c) => [c.callId, { name: c.toolName, outputReceived: false }] as const));
    this.toolBatches.push({ calls: pending, afterTool });
  }

  /** Returns the tool's name, or undefined when no call with this id is waiting for output. */
  acceptToolOutput(callId: string): string | undefined {
    for (const batch of this.toolBatches) {
      const call = batch.calls.get(callId);
      if (!call || call.outputReceived) continue;
      call.outputReceived = true;
      return call.name;
    }
    return undefined;
  }
}

function isComplete(batch: PendingToolBatch): boolean {
  return [...batch.calls.values()].every((c) => c.outputReceived);
}
