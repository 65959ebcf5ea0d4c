/**
 * What each Qwen server event means to the call core. Sequencing (which response is live, what
 * was cancelled) is the session's business; this is the translation only.
 */
import type { Logger } from 'pino';
import { pcm16FromBytes } from '../audio/pcm.js';
import type { AiEvent } from '../call/ai-session.js';
import type { QwenServerEvent } from './qwen-events.js';

type ResponseStatus = Extract<AiEvent, { type: 'response_done' }>['status'];

/**
 * `cancelled` is not in the documented list but is what an OpenAI-style server sends after a
 * cancel; anything else unexpected is treated as an answer that did not finish.
 */
export function toResponseStatus(status: string, log: Logger): ResponseStatus {
  switch (status) {
    case 'completed':
    case 'cancelled':
    case 'incomplete':
    case 'failed':
      return status;
    default:
      log.debug({ status }, 'unexpected response status treated as incomplete');
      return 'incomplete';
  }
}

/** The session handles errors, response boundaries and tool calls itself; the rest translates one to one. */
export function toAiEvent(event: QwenServerEvent, log: Logger): AiEvent | undefined {
  switch (event.type) {
    case 'error':
      return { type: 'error', code: event.code, message: event.message };
    case 'input_audio_buffer.speech_started':
      return { type: 'speech_started', itemId: event.itemId, audioStartMs: event.audioStartMs };
    case 'input_audio_buffer.speech_stopped':
      return { type: 'speech_stopped', itemId: event.itemId, audioEndMs: event.audioEndMs };
    case 'conversation.item.input_audio_transcription.delta':
      return { type: 'caller_transcript', itemId: event.itemId, text: event.preview, final: false };
    case 'conversation.item.input_audio_transcription.completed':
      return { type: 'caller_transcript', itemId: event.itemId, text: event.transcript, final: true };
    case 'conversation.item.input_audio_transcription.failed':
      // Separate from `error`: the conversation goes on, only the call log misses this line.
      log.warn({ itemId: event.itemId, code: event.code, errorMessage: event.message }, 'caller transcription failed');
      return undefined;
    case 'response.created':
      return { type: 'response_started', responseId: event.responseId };
    case 'response.audio.delta': {
      const bytes = Buffer.from(event.audioBase64, 'base64');
      // A stray trailing byte cannot be a sample; losing it beats failing the whole response.
      const droppedBytes = bytes.length % 2;
      if (droppedBytes > 0) log.debug({ responseId: event.responseId, droppedBytes }, 'odd byte at the end of an audio delta dropped');
      const pcm = pcm16FromBytes(bytes.subarray(0, bytes.length - droppedBytes));
      if (pcm.length === 0) return undefined;
      return { type: 'audio', responseId: event.responseId, itemId: event.itemId, pcm };
    }
    case 'response.audio_transcript.delta':
      return { type: 'assistant_transcript_delta', responseId: event.responseId, itemId: event.itemId, text: event.text };
    case 'response.audio_transcript.done':
      return { type: 'assistant_transcript_done', responseId: event.responseId, itemId: event.itemId, text: event.transcript };
    case 'session.created':
    case 'session.updated':
    case 'input_audio_buffer.committed':
    case 'conversation.item.created':
    case 'response.audio.done':
      log.trace({ eventType: event.type }, 'qwen event needs no action');
      return undefined;
    case 'response.function_call_arguments.done':
    case 'response.output_item.done':
    case 'response.done':
      // Sequenced by the session itself: tool calls are held per response (tool-call-batches.ts).
      log.trace({ eventType: event.type }, 'qwen event needs no action');
      return undefined;
  }
}
