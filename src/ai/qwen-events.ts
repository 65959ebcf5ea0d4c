/**
 * Server → client events of Qwen-Omni-Realtime, validated at the edge and normalised to camelCase.
 * Only the events the bridge acts on have schemas; documented events it has no use for and types
 * nobody documented are told apart so that a new server event is visible in debug logs but never
 * breaks a call.
 */
import { z } from 'zod';
import type { AiUsage } from '../call/ai-session.js';

const errorEvent = z
  .object({
    type: z.literal('error'),
    // Every field is optional here: an error with an odd shape is still an error worth reporting.
    error: z
      .object({
        type: z.string().nullish(),
        code: z.string().nullish(),
        message: z.string().nullish(),
        param: z.string().nullish(),
      })
      .optional(),
  })
  .transform((e) => ({
    type: e.type,
    errorType: e.error?.type ?? '',
    code: e.error?.code ?? '',
    message: e.error?.message ?? '',
    param: e.error?.param ?? '',
  }));

const sessionBody = z.object({ id: z.string().optional() }).optional();

const sessionCreated = z
  .object({ type: z.literal('session.created'), session: sessionBody })
  .transform((e) => ({ type: e.type, sessionId: e.session?.id ?? '' }));

const sessionUpdated = z
  .object({ type: z.literal('session.updated'), session: sessionBody })
  .transform((e) => ({ type: e.type, sessionId: e.session?.id ?? '' }));

const speechStarted = z
  .object({
    type: z.literal('input_audio_buffer.speech_started'),
    // Barge-in depends on this event arriving; a missing detail field must not make us drop it.
    item_id: z.string().catch(''),
    audio_start_ms: z.number().catch(0),
  })
  .transform((e) => ({ type: e.type, itemId: e.item_id, audioStartMs: e.audio_start_ms }));

const speechStopped = z
  .object({
    type: z.literal('input_audio_buffer.speech_stopped'),
    item_id: z.string(),
    audio_end_ms: z.number(),
  })
  .transform((e) => ({ type: e.type, itemId: e.item_id, audioEndMs: e.audio_end_ms }));

// The next few are only traced, so a shape we did not expect is not worth a warning.
const bufferCommitted = z
  .object({ type: z.literal('input_audio_buffer.committed'), item_id: z.string().catch('') })
  .transform((e) => ({ type: e.type, itemId: e.item_id }));

const itemCreated = z
  .object({
    type: z.literal('conversation.item.created'),
    // role is not trusted (the docs show an assistant role on a user item), so it is not read.
    item: z.object({ id: z.string().catch(''), type: z.string().catch('') }).catch({ id: '', type: '' }),
  })
  .transform((e) => ({ type: e.type, itemId: e.item.id, itemType: e.item.type }));

const callerTranscriptDelta = z
  .object({
    type: z.literal('conversation.item.input_audio_transcription.delta'),
    item_id: z.string(),
    text: z.string().default(''),
    stash: z.string().default(''),
  })
  // text is the settled prefix and stash the tail that may still change: together they replace
  // the previous preview, they are not appended to it.
  .transform((e) => ({ type: e.type, itemId: e.item_id, preview: e.text + e.stash }));

const callerTranscriptCompleted = z
  .object({
    type: z.literal('conversation.item.input_audio_transcription.completed'),
    item_id: z.string(),
    transcript: z.string(),
  })
  .transform((e) => ({ type: e.type, itemId: e.item_id, transcript: e.transcript }));

const callerTranscriptFailed = z
  .object({
    type: z.literal('conversation.item.input_audio_transcription.failed'),
    item_id: z.string(),
    error: z
      .object({ code: z.string().nullish(), message: z.string().nullish() })
      .optional(),
  })
  .transform((e) => ({
    type: e.type,
    itemId: e.item_id,
    code: e.error?.code ?? '',
    message: e.error?.message ?? '',
  }));

const responseCreated = z
  .object({ type: z.literal('response.created'), response: z.object({ id: z.string() }) })
  .transform((e) => ({ type: e.type, responseId: e.response.id }));

const audioDelta = z
  .object({
    type: z.literal('response.audio.delta'),
    response_id: z.string(),
    item_id: z.string(),
    delta: z.string(),
  })
  // Decoding waits until the response is known not to be cancelled.
  .transform((e) => ({ type: e.type, responseId: e.response_id, itemId: e.item_id, audioBase64: e.delta }));

const audioDone = z
  .object({ type: z.literal('response.audio.done'), response_id: z.string().catch(''), item_id: z.string().catch('') })
  .transform((e) => ({ type: e.type, responseId: e.response_id, itemId: e.item_id }));

const assistantTranscriptDelta = z
  .object({
    type: z.literal('response.audio_transcript.delta'),
    response_id: z.string(),
    item_id: z.string(),
    delta: z.string(),
  })
  .transform((e) => ({ type: e.type, responseId: e.response_id, itemId: e.item_id, text: e.delta }));

const assistantTranscriptDone = z
  .object({
    type: z.literal('response.audio_transcript.done'),
    response_id: z.string(),
    item_id: z.string(),
    transcript: z.string(),
  })
  .transform((e) => ({ type: e.type, responseId: e.response_id, itemId: e.item_id, transcript: e.transcript }));

const functionCallArgumentsDone = z
  .object({
    type: z.literal('response.function_call_arguments.done'),
    response_id: z.string(),
    item_id: z.string(),
    call_id: z.string(),
    name: z.string(),
    arguments: z.string(),
  })
  .transform((e) => ({
    type: e.type,
    responseId: e.response_id,
    itemId: e.item_id,
    callId: e.call_id,
    name: e.name,
    // The documented examples start with a space; `done` is the complete value, the deltas are not needed.
    arguments: e.arguments.trim(),
  }));

const usageBody = z
  .object({
    input_tokens: z.number(),
    output_tokens: z.number(),
    input_tokens_details: z.object({ audio_tokens: z.number().optional() }).optional(),
    // A tool-call response produced no audio, so its details carry text_tokens only.
    output_tokens_details: z.object({ audio_tokens: z.number().optional() }).optional(),
  })
  .transform(
    (u): AiUsage => ({
      inputTokens: u.input_tokens,
      outputTokens: u.output_tokens,
      inputAudioTokens: u.input_tokens_details?.audio_tokens ?? 0,
      outputAudioTokens: u.output_tokens_details?.audio_tokens ?? 0,
    }),
  );

const responseDone = z
  .object({
    type: z.literal('response.done'),
    response: z.object({
      id: z.string(),
      // Kept as sent: the documented list lacks `cancelled`, and the mapping decides what else means.
      status: z.string(),
      // Response sequencing depends on response.done arriving, so bad usage is dropped, not fatal.
      usage: usageBody.optional().catch(undefined),
    }),
  })
  .transform((e) => ({
    type: e.type,
    responseId: e.response.id,
    status: e.response.status,
    usage: e.response.usage,
  }));

const serverEventSchemas = {
  error: errorEvent,
  'session.created': sessionCreated,
  'session.updated': sessionUpdated,
  'input_audio_buffer.speech_started': speechStarted,
  'input_audio_buffer.speech_stopped': speechStopped,
  'input_audio_buffer.committed': bufferCommitted,
  'conversation.item.created': itemCreated,
  'conversation.item.input_audio_transcription.delta': callerTranscriptDelta,
  'conversation.item.input_audio_transcription.completed': callerTranscriptCompleted,
  'conversation.item.input_audio_transcription.failed': callerTranscriptFailed,
  'response.created': responseCreated,
  'response.audio.delta': audioDelta,
  'response.audio.done': audioDone,
  'response.audio_transcript.delta': assistantTranscriptDelta,
  'response.audio_transcript.done': assistantTranscriptDone,
  'response.function_call_arguments.done': functionCallArgumentsDone,
  'response.done': responseDone,
} as const;

type ServerEventSchemas = typeof serverEventSchemas;

export type QwenServerEvent = { [K in keyof ServerEventSchemas]: z.output<ServerEventSchemas[K]> }[keyof ServerEventSchemas];
export type QwenServerEventType = QwenServerEvent['type'];

const schemaByType = new Map<string, z.ZodType<QwenServerEvent>>(Object.entries(serverEventSchemas));

/** Documented server events the bridge has no use for; they are ignored quietly. */
const UNUSED_EVENT_TYPES: ReadonlySet<string> = new Set([
  'input_audio_buffer.cleared',
  'response.output_item.added',
  'response.output_item.done',
  'response.content_part.added',
  'response.content_part.done',
  'response.text.delta',
  'response.text.done',
  // Concatenated deltas equal done.arguments, which is the authoritative value.
  'response.function_call_arguments.delta',
  'session.finished',
]);

export type ParsedServerFrame =
  | { kind: 'event'; event: QwenServerEvent }
  | { kind: 'unused'; type: string }
  | { kind: 'unknown'; type: string; raw: Record<string, unknown> }
  | { kind: 'malformed'; type: string | undefined; reason: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses one text frame. Never throws: every failure is a `malformed` result for the caller to log. */
export function parseServerFrame(text: string): ParsedServerFrame {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { kind: 'malformed', type: undefined, reason: `invalid JSON: ${(err as Error).message}` };
  }
  if (!isRecord(json) || typeof json.type !== 'string') {
    return { kind: 'malformed', type: undefined, reason: 'not an object with a string type' };
  }
  const type = json.type;
  const schema = schemaByType.get(type);
  if (schema === undefined) {
    return UNUSED_EVENT_TYPES.has(type) ? { kind: 'unused', type } : { kind: 'unknown', type, raw: json };
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const reason = result.error.issues
      .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
      .join('; ');
    return { kind: 'malformed', type, reason };
  }
  return { kind: 'event', event: result.data };
}
