/**
 * The script's cursor for one session: which caller turn comes next, what the next response
 * should say, and which tool calls are waiting for their output.
 *
 * What a response.create answers, in order of precedence:
 *   1. a committed user turn not answered yet (manual mode, or VAD with create_response false);
 *   2. a tool call whose output has arrived → its `afterTool` speech;
 *   3. nothing to answer, first time → the greeting (or an error, by fault injection);
 *   4. nothing to answer, later, with `response.instructions` → the instructed reply;
 *   5. otherwise → the fallback reply.
 */
import {
  isToolCallReply,
  type ConversationScript,
  type ScriptedReply,
  type ScriptedSpeech,
  type ScriptedToolCall,
} from './script.js';
import type { ResponseSource } from './responses.js';

export type PlannedReply =
  | { kind: 'speech'; speech: ScriptedSpeech; source: ResponseSource }
  | { kind: 'tool_call'; call: ScriptedToolCall; afterTool: ScriptedSpeech; source: ResponseSource };

export type ResponseCreatePlan = { kind: 'reply'; reply: PlannedReply } | { kind: 'reject' };

interface PendingToolCall {
  name: string;
  afterTool: ScriptedSpeech;
  outputReceived: boolean;
}

export class Dialogue {
  private nextTurn = 0;
  private unanswered: ScriptedReply | undefined;
  private unpromptedCount = 0;
  private readonly toolCalls = new Map<string, PendingToolCall>();

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
    return isToolCallReply(reply)
      ? { kind: 'tool_call', call: reply.toolCall, afterTool: reply.afterTool, source: 'turn' }
      : { kind: 'speech', speech: reply, source: 'turn' };
  }

  planResponseCreate(instructions: string | undefined): ResponseCreatePlan {
    const answer = this.answerCallerTurn();
    if (answer) return { kind: 'reply', reply: answer };
    for (const [callId, call] of this.toolCalls) {
      if (!call.outputReceived) continue;
      this.toolCalls.delete(callId);
      return { kind: 'reply', reply: { kind: 'speech', speech: call.afterTool, source: 'after_tool' } };
    }
    this.unpromptedCount++;
    const first = this.unpromptedCount === 1;
    if (this.rejectUnprompted === 'always' || (this.rejectUnprompted === 'first' && first)) return { kind: 'reject' };
    if (first) return { kind: 'reply', reply: { kind: 'speech', speech: this.script.greeting, source: 'greeting' } };
    if (instructions !== undefined) {
      return { kind: 'reply', reply: { kind: 'speech', speech: this.script.instructedReply, source: 'instructed' } };
    }
    return { kind: 'reply', reply: { kind: 'speech', speech: this.script.fallbackReply, source: 'fallback' } };
  }

  idleReprompt(): PlannedReply {
    return { kind: 'speech', speech: this.script.idleReprompt, source: 'idle_reprompt' };
  }

  /** A function call was sent in full; its output may now arrive. */
  awaitToolOutput(callId: string, name: string, afterTool: ScriptedSpeech): void {
    this.toolCalls.set(callId, { name, afterTool, outputReceived: false });
  }

  /** Returns the tool's name, or undefined when no call with this id is waiting for output. */
  acceptToolOutput(callId: string): string | undefined {
    const call = this.toolCalls.get(callId);
    if (!call || call.outputReceived) return undefined;
    call.outputReceived = true;
    return call.name;
  }
}
