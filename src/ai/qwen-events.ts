/**
 * Server → client events of Qwen-Omni-Realtime, validated at the edge and normalised to camelCase.
 * Only the events the bridge acts on have schemas; documented events it has no use for and types
 * nobody documented are told apart so that a new server event is visible in debug logs but never
 * breaks a call.
 */
import { z } from 'zod';
import type { AiUsage } from '../call/ai-session.js';

/** A code or status as the service sends it: documented as a string, seen as a number too. */
const looseText = z
  .union([z.string(), z.number()])
  .nullish()
  .transform((v) => (v === null || v === undefined ? '' : String(v)))
  .catch('');

const errorEvent = z
  .object({
    type: z.literal('error'),
    // Every field is lenient: an error with an odd shape is still an error, and dropping it
    // would leave a rejected response.create waiting forever.
    error: z
      .object({
        type: looseText,
        code: looseText,
        message: looseText,
        param: looseText,
        status: looseText,
      })
      .catch({ type: '', code: '', message: '', param: '', status: '' })
      .optional(),
    status: looseText,
  })
  .transform((e) => ({
    type: e.type,
    errorType: e.error?.type ?? '',
    code: e.error?.code ?? '',
    message: e.error?.message ?? '',
    param: e.error?.param ?? '',
    status: e.error?.status || e.status,
  }));

const sessionBody = z.object({ id: z.string().optional() }).optional();

const sessionCreated = z
  .object({ type: z.literal('session.created'), session: sessionBody })
  .transform((e) => ({ type: e.type, sessionId: e.session?.id ?? '' }));

/** What the service says it took from our session.update; compared with what we sent (session-echo.ts). */
const sessionEcho = z
  .object({
    id: z.string().catch('').optional(),
    voice: z.string().nullish().catch(undefined),
    tools: z.array(z.object({ function: z.object({ name: z.string().catch('') }).catch({ name: '' }) }).catch({ function: { name: '' } })).nullish().catch(undefined),
    turn_detection: z
      .object({ type: z.string().nullish().catch(undefined), idle_timeout_ms: z.number().nullish().catch(undefined) })
      .nullish()
      .catch(undefined),
    input_audio_transcription: z.object({ model: z.string().nullish().catch(undefined) }).nullish().catch(undefined),
  })
  .catch({});

export interface SessionEchoFields {
  /** undefined: the echo did not say. */
  voice?: string | null;
  /** Tool names; null: the echo says none (the service dropped them). */
  toolNames?: string[] | null;
  turnDetectionType?: string | null;
  idleTimeoutMs?: number | null;
  transcriptionModel?: string | null;
}

const sessionUpdated = z
  .object({ type: z.literal('session.updated'), session: sessionEcho.optional() })
  .transform((e) => {
    const s = e.session ?? {};
    const echo: SessionEchoFields = {};
    if (s.voice !== undefined) echo.voice = s.voice;
    if (s.tools !== undefined) echo.toolNames = s.tools === null ? null : s.tools.map((t) => t.function.name);
    if (s.turn_detection !== undefined) {
      echo.turnDetectionType = s.turn_detection === null ? null : (s.turn_detection.type ?? null);
      echo.idleTimeoutMs = s.turn_detection === null ? null : (s.turn_detection.idle_timeout_ms ?? null);
    }
    if (s.input_audio_transcription !== undefined) {
      echo.transcriptionModel = s.input_audio_transcription === null ? null : (s.input_audio_transcription.model ?? null);
    }
    return { type: e.type, sessionId: s.id ?? '', echo };
  });

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
    item_id: z.string().catch(''),
    audio_end_ms: z.number().catch(0),
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

const callerTranscriptPreview = (type: 'conversation.item.input_audio_transcription.delta' | 'conversation.item.input_audio_transcription.text') =>
  z
    .object({
      type: z.literal(type),
      item_id: z.string().catch(''),
      text: z.string().nullish().catch(''),
      stash: z.string().nullish().catch(''),
    })
    // text is the settled prefix and stash the tail that may still change: together they replace
    // the previous preview, they are not appended to it. Live, text stays empty and stash holds
    // the whole preview; the `.text` variant (seen in Qwen-Live-Harness) carries the same fields.
    .transform((e) => ({
      type: 'conversation.item.input_audio_transcription.delta' as const,
      itemId: e.item_id,
      preview: (e.text ?? '') + (e.stash ?? ''),
    }));

const callerTranscriptDelta = callerTranscriptPreview('conversation.item.input_audio_transcription.delta');
const callerTranscriptText = callerTranscriptPreview('conversation.item.input_audio_transcription.text');

const callerTranscriptCompleted = z
  .object({
    type: z.literal('conversation.item.input_audio_transcription.completed'),
    item_id: z.string().catch(''),
    // Live, the final transcript is sometimes empty; the transcript keeps the preview then.
    transcript: z.string().nullish().catch(''),
  })
  .transform((e) => ({ type: e.type, itemId: e.item_id, transcript: e.transcript ?? '' }));

const callerTranscriptFailed = z
  .object({
    type: z.literal('conversation.item.input_audio_transcription.failed'),
    item_id: z.string().catch(''),
    error: z.object({ code: looseText, message: looseText }).catch({ code: '', message: '' }).optional(),
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

// Below, a missing response_id or item_id is '' rather than a reason to drop the event: the
// session takes the response in flight instead (Qwen-Live-Harness does the same).
const ids = { response_id: z.string().catch(''), item_id: z.string().catch('') };

const audioDelta = z
  .object({ type: z.literal('response.audio.delta'), ...ids, delta: z.string() })
  // Decoding waits until the response is known not to be cancelled.
  .transform((e) => ({ type: e.type, responseId: e.response_id, itemId: e.item_id, audioBase64: e.delta }));

const audioDone = z
  .object({ type: z.literal('response.audio.done'), ...ids })
  .transform((e) => ({ type: e.type, responseId: e.response_id, itemId: e.item_id }));

const assistantTranscriptDelta = z
  .object({ type: z.literal('response.audio_transcript.delta'), ...ids, delta: z.string().catch('') })
  .transform((e) => ({ type: e.type, responseId: e.response_id, itemId: e.item_id, text: e.delta }));

const assistantTranscriptDone = z
  .object({ type: z.literal('response.audio_transcript.done'), ...ids, transcript: z.string().catch('') })
  .transform((e) => ({ type: e.type, responseId: e.response_id, itemId: e.item_id, transcript: e.transcript }));

/** One function call, from whichever event carried it; call_id and name are what make it usable. */
export interface FunctionCallItem {
  callId: string;
  name: string;
  /** Complete JSON text, trimmed (the documented examples start with a space). */
  arguments: string;
}

const functionCallArgumentsDone = z
  .object({
    type: z.literal('response.function_call_arguments.done'),
    ...ids,
    call_id: z.string().min(1),
    name: z.string().min(1),
    arguments: z.string().catch(''),
  })
  .transform((e) => ({
    type: e.type,
    responseId: e.response_id,
    call: { callId: e.call_id, name: e.name, arguments: e.arguments.trim() } satisfies FunctionCallItem,
  }));

/** A function_call item, as output_item.done and response.done.output carry it; anything else is undefined. */
const functionCallItem = z
  .object({
    type: z.literal('function_call'),
    call_id: z.string().min(1),
    name: z.string().min(1),
    arguments: z.string().catch(''),
    status: z.string().optional().catch(undefined),
  })
  .transform((i): FunctionCallItem => ({ callId: i.call_id, name: i.name, arguments: i.arguments.trim() }))
  .optional()
  .catch(undefined);

// Qwen-Live-Harness drives tools from this event alone in its tests; calls from here and from
// function_call_arguments.done are the same calls, told apart by call_id.
const outputItemDone = z
  .object({ type: z.literal('response.output_item.done'), response_id: z.string().catch(''), item: functionCallItem })
  .transform((e) => ({ type: e.type, responseId: e.response_id, call: e.item }));

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

const statusDetails = z
  .object({
    type: looseText.optional(),
    reason: looseText.optional(),
    error: z.object({ code: looseText, message: looseText }).partial().nullish().catch(undefined),
  })
  .nullish()
  .catch(undefined);

const responseDone = z
  .object({
    type: z.literal('response.done'),
    response_id: z.string().optional().catch(undefined),
    response: z
      .object({
        id: z.string().optional().catch(undefined),
        // Kept as sent: the documented list lacks `cancelled`, and the mapping decides what else means.
        status: z.string().catch(''),
        status_details: statusDetails,
        // Response sequencing depends on response.done arriving, so bad usage is dropped, not fatal.
        usage: usageBody.optional().catch(undefined),
        output: z.array(functionCallItem).optional().catch(undefined),
      })
      .catch({ status: '' }),
  })
  .transform((e) => {
    const d = e.response.status_details;
    const details = d
      ? [d.type, d.reason, d.error?.code, d.error?.message].filter((v): v is string => v !== undefined && v !== '').join(': ')
      : '';
    return {
      type: e.type,
      // '' when neither says: the session takes the response in flight.
      responseId: e.response.id ?? e.response_id ?? '',
      status: e.response.status,
      statusDetails: details,
      usage: e.response.usage,
      calls: (e.response.output ?? []).filter((c): c is FunctionCallItem => c !== undefined),
    };
  });

const serverEventSchemas = {
  error: errorEvent,
  'session.created': sessionCreated,
  'session.updated': sessionUpdated,
  'input_audio_buffer.speech_started': speechStarted,
  'input_audio_buffer.speech_stopped': speechStopped,
  'input_audio_buffer.committed': bufferCommitted,
  'conversation.item.created': itemCreated,
  'conversation.item.input_audio_transcription.delta': callerTranscriptDelta,
  'conversation.item.input_audio_transcription.text': callerTranscriptText,
  'conversation.item.input_audio_transcription.completed': callerTranscriptCompleted,
  'conversation.item.input_audio_transcription.failed': callerTranscriptFailed,
  'response.created': responseCreated,
  'response.audio.delta': audioDelta,
  'response.audio.done': audioDone,
  'response.audio_transcript.delta': assistantTranscriptDelta,
  'response.audio_transcript.done': assistantTranscriptDone,
  'response.function_call_arguments.done': functionCallArgumentsDone,
  'response.output_item.done': outputItemDone,
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
  'response.content_part.added',
  'response.content_part.done',
  'response.text.delta',
  'response.text.done',
  // Concatenated deltas equal done.arguments, which is the authoritative value.
  'response.function_call_arguments.delta',
  'session.finished',
  'rate_limits.updated',
  'rate_limit.updated',
]);

/**
 * Event names of the OpenAI GA realtime API. Everything from Alibaba for qwen3.5/3.8 uses the
 * beta names, but Qwen-Live-Harness accepts these too; a model generation that switched would
 * otherwise have all its audio dropped as unknown.
 */
const EVENT_ALIASES: ReadonlyMap<string, string> = new Map([
  ['response.output_audio.delta', 'response.audio.delta'],
  ['response.output_audio.done', 'response.audio.done'],
  ['response.output_audio_transcript.delta', 'response.audio_transcript.delta'],
  ['response.output_audio_transcript.done', 'response.audio_transcript.done'],
  ['response.output_text.delta', 'response.text.delta'],
  ['response.output_text.done', 'response.text.done'],
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
  const type = EVENT_ALIASES.get(json.type) ?? json.type;
  // Audio deltas are most of the frames a session receives (ten or more a second per call); this
  // is the audioDelta schema written out, so the hot path skips the generic validator.
  if (type === 'response.audio.delta' && typeof json.delta === 'string') {
    return {
      kind: 'event',
      event: {
        type,
        responseId: typeof json.response_id === 'string' ? json.response_id : '',
        itemId: typeof json.item_id === 'string' ? json.item_id : '',
        audioBase64: json.delta,
      },
    };
  }
  const schema = schemaByType.get(type);
  if (schema === undefined) {
    return UNUSED_EVENT_TYPES.has(type) ? { kind: 'unused', type } : { kind: 'unknown', type, raw: json };
  }
  const result = schema.safeParse(type === json.type ? json : { ...json, type });
  if (!result.success) {
    const reason = result.error.issues
      .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
      .join('; ');
    return { kind: 'malformed', type, reason };
  }
  return { kind: 'event', event: result.data };
}
