/**
 * Every server event the simulator emits (§6), as a discriminated union. Bodies are written
 * without `event_id`; the session adds a fresh one to each event as it is sent.
 */
import type { WireErrorDetail } from './protocol-error.js';
import type { Modality, OutputAudioFormat, SessionObject } from './session-config.js';
import type { Usage } from './usage.js';

export type ItemStatus = 'in_progress' | 'completed' | 'incomplete';
export type ResponseStatus = 'in_progress' | 'completed' | 'incomplete' | 'cancelled' | 'failed';

export interface UserMessageItem {
  id: string;
  object: 'realtime.item';
  type: 'message';
  status: ItemStatus;
  role: 'user';
  content: Array<{ type: 'input_audio' } | { type: 'input_text'; text: string }>;
}

export type AssistantContent = { type: 'audio'; transcript: string } | { type: 'text'; text: string };

export interface AssistantMessageItem {
  id: string;
  object: 'realtime.item';
  type: 'message';
  status: ItemStatus;
  role: 'assistant';
  content: AssistantContent[];
}

export interface FunctionCallItem {
  id: string;
  object: 'realtime.item';
  type: 'function_call';
  status: ItemStatus;
  call_id: string;
  name: string;
  arguments: string;
}

export interface FunctionCallOutputServerItem {
  id: string;
  object: 'realtime.item';
  type: 'function_call_output';
  status: 'completed';
  call_id: string;
  output: string;
}

export type OutputItem = AssistantMessageItem | FunctionCallItem;
export type ConversationItem = OutputItem | UserMessageItem | FunctionCallOutputServerItem;

/** Why a response ended other than `completed` (live mode; the shape Qwen-Live-Harness reads). */
export interface StatusDetails {
  type: ResponseStatus;
  /** e.g. `turn_detected` (barge-in), `client_cancelled` (response.cancel). */
  reason?: string;
  error?: { code: string | number; message: string };
}

export interface ResponseObject {
  id: string;
  object: 'realtime.response';
  conversation_id: string;
  status: ResponseStatus;
  modalities: Modality[];
  voice: string;
  output_audio_format: OutputAudioFormat;
  output: OutputItem[];
  status_details?: StatusDetails;
  usage?: Usage;
}

interface ContentRef {
  response_id: string;
  item_id: string;
  output_index: number;
  content_index: number;
}

interface CallRef {
  response_id: string;
  item_id: string;
  output_index: number;
  call_id: string;
}

export type ServerEventBody =
  | { type: 'error'; error: WireErrorDetail }
  | { type: 'session.created'; session: SessionObject }
  | { type: 'session.updated'; session: SessionObject }
  | { type: 'input_audio_buffer.speech_started'; audio_start_ms: number; item_id: string }
  | { type: 'input_audio_buffer.speech_stopped'; audio_end_ms: number; item_id: string }
  | { type: 'input_audio_buffer.committed'; item_id: string }
  | { type: 'input_audio_buffer.cleared' }
  | { type: 'conversation.item.created'; item: ConversationItem }
  | {
      type: 'conversation.item.input_audio_transcription.delta';
      item_id: string;
      content_index: number;
      text: string;
      stash: string;
      language: string;
      emotion: string;
      obfuscation: string;
    }
  | {
      /** A variant of `.delta` with the same fields, which some clients of the live service handle. */
      type: 'conversation.item.input_audio_transcription.text';
      item_id: string;
      content_index: number;
      text: string;
      stash: string;
      language: string;
      emotion: string;
      obfuscation: string;
    }
  | {
      type: 'conversation.item.input_audio_transcription.completed';
      item_id: string;
      content_index: number;
      transcript: string;
    }
  | {
      type: 'conversation.item.input_audio_transcription.failed';
      item_id: string;
      content_index: number;
      error: { code: string; message: string; param: string };
    }
  | { type: 'response.created'; response: ResponseObject }
  | { type: 'response.done'; response: ResponseObject }
  | { type: 'response.output_item.added'; response_id: string; output_index: number; item: OutputItem }
  | { type: 'response.output_item.done'; response_id: string; output_index: number; item: OutputItem }
  | ({ type: 'response.content_part.added'; part: { type: 'audio' | 'text'; text: string } } & ContentRef)
  | ({ type: 'response.content_part.done'; part: { type: 'audio' | 'text'; text: string } } & ContentRef)
  | ({ type: 'response.audio_transcript.delta'; delta: string } & ContentRef)
  | ({ type: 'response.audio_transcript.done'; transcript: string } & ContentRef)
  | ({ type: 'response.audio.delta'; delta: string } & ContentRef)
  | ({ type: 'response.audio.done' } & ContentRef)
  | ({ type: 'response.text.delta'; delta: string } & ContentRef)
  | ({ type: 'response.text.done'; text: string } & ContentRef)
  | ({ type: 'response.function_call_arguments.delta'; delta: string } & CallRef)
  | ({ type: 'response.function_call_arguments.done'; name: string; arguments: string } & CallRef);

export type ServerEventType = ServerEventBody['type'];

export type ServerEvent = ServerEventBody & { event_id: string };

/** A sink for server events; it does nothing once the socket is gone. */
export type SendServerEvent = (body: ServerEventBody) => void;
