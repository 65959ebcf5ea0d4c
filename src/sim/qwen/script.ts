/**
 * What the simulated model hears and says. The simulator cannot understand speech, so a script
 * decides: the n-th committed user turn (a VAD speech segment or a manual commit) takes turn n,
 * and its `callerTranscript` is what the transcription events report.
 */

/** Something the agent says. `audio` names a fixture in src/sim/fixtures (24 kHz PCM16 mono WAV,
 *  e.g. "agent-greeting"); without one, a speech-like signal as long as the text is synthesized. */
export interface ScriptedSpeech {
  text: string;
  audio?: string;
}

export interface ScriptedToolCall {
  name: string;
  /** An object is serialized the way the docs show it (Python-style spacing, leading space);
   *  a string is sent verbatim, which lets a test send malformed arguments. */
  arguments: Readonly<Record<string, unknown>> | string;
}

export type ScriptedReply =
  | ScriptedSpeech
  /**
   * A response holding a function call, or several (a list: one function_call item each, in
   * order). `afterTool` is spoken once the client has returned the output of every call and sent
   * response.create. `preamble` is spoken in the same response before the first call (the live
   * service may do that, e.g. "Let me check that for you").
   */
  | { toolCall: ScriptedToolCall | readonly ScriptedToolCall[]; afterTool: ScriptedSpeech; preamble?: ScriptedSpeech };

export interface ScriptedTurn {
  callerTranscript: string;
  reply: ScriptedReply;
}

export interface ConversationScript {
  /** Spoken for the first response.create that has no committed input to answer. */
  greeting: ScriptedSpeech;
  turns: readonly ScriptedTurn[];
  /** Spoken for turns beyond the script and for later response.create calls without instructions. */
  fallbackReply: ScriptedSpeech;
  /** Spoken for a later response.create carrying `response.instructions` (e.g. the bridge's goodbye). */
  instructedReply: ScriptedSpeech;
  /** Spoken when `idle_timeout_ms` expires (qwen3.5 with server_vad). */
  idleReprompt: ScriptedSpeech;
  /** Reported as the caller's words for speech beyond the scripted turns. */
  unscriptedCallerTranscript: string;
}

export type ToolCallReply = Extract<ScriptedReply, { toolCall: unknown }>;

export function isToolCallReply(reply: ScriptedReply): reply is ToolCallReply {
  return 'toolCall' in reply;
}

/** The calls of a tool-call reply, as a list. */
export function toolCallsOf(reply: ToolCallReply): readonly ScriptedToolCall[] {
  const calls = reply.toolCall;
  return isCallList(calls) ? calls : [calls];
}

function isCallList(calls: ToolCallReply['toolCall']): calls is readonly ScriptedToolCall[] {
  return Array.isArray(calls);
}

/**
 * The demo's support line. The second answer (order status, 6.3 s of audio) is long enough for
 * the caller to barge into; the fixtures were recorded from exactly these texts with
 *   espeak-ng -v en-us -s 180 -w raw.wav "<text>"     (-s 165 for agent-order-status)
 *   sox raw.wav -r 24000 -c 1 -b 16 agent-<name>.wav \
 *     silence 1 0.02 0.3% reverse silence 1 0.02 0.3% reverse pad 0.05 0.1
 */
export const SUPPORT_LINE_SCRIPT: Readonly<ConversationScript> = {
  greeting: { text: 'Acme support, how can I help?', audio: 'agent-greeting' },
  turns: [
    {
      callerTranscript: "Hi, I'm calling about my order. Can you tell me where it is?",
      reply: {
        text:
          'Let me check. Your order shipped yesterday and is now with the courier. ' +
          'It should arrive on Thursday morning.',
        audio: 'agent-order-status',
      },
    },
    {
      callerTranscript: 'Sorry, one more thing: what are your opening hours?',
      reply: { text: "We're open weekdays, nine to six.", audio: 'agent-opening-hours' },
    },
    {
      callerTranscript: "That's all, thank you. Goodbye.",
      reply: { text: 'Thanks for calling, goodbye!', audio: 'agent-goodbye' },
    },
  ],
  fallbackReply: { text: "Sorry, I didn't catch that. Could you say it again?" },
  instructedReply: { text: 'Thanks for calling, goodbye!', audio: 'agent-goodbye' },
  idleReprompt: { text: 'Are you still there?' },
  unscriptedCallerTranscript: 'Hello?',
};

/** Every piece of speech a script can produce, for preloading and checking fixtures up front. */
export function scriptSpeeches(script: ConversationScript): ScriptedSpeech[] {
  const speeches = [script.greeting, script.fallbackReply, script.instructedReply, script.idleReprompt];
  for (const turn of script.turns) {
    if (isToolCallReply(turn.reply)) {
      speeches.push(turn.reply.afterTool);
      if (turn.reply.preamble) speeches.push(turn.reply.preamble);
    }
    else speeches.push(turn.reply);
  }
  return speeches;
}
