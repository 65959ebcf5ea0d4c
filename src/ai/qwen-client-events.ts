/**
 * Client → server events of Qwen-Omni-Realtime, built from typed values. Only the events the bridge
 * sends exist here (there is no truncate; user text items only on the families that take them).
 */
import type { AgentProfile, ToolDeclaration, TurnDetection } from '../call/agent-profile.js';
import { capabilitiesOf } from '../models/qwen-capabilities.js';
import { QWEN_AUDIO_FORMAT } from './qwen-audio-format.js';

export type QwenTurnDetection =
  | {
      type: 'server_vad';
      threshold: number;
      prefix_padding_ms: number;
      silence_duration_ms: number;
      idle_timeout_ms?: number;
    }
  | { type: 'semantic_vad'; threshold: number; prefix_padding_ms: number; silence_duration_ms: number };

export interface QwenTool {
  type: 'function';
  function: { name: string; description: string; parameters: Record<string, unknown> };
}

export interface QwenSessionConfig {
  modalities: ['text', 'audio'];
  voice: string;
  input_audio_format: typeof QWEN_AUDIO_FORMAT;
  output_audio_format: typeof QWEN_AUDIO_FORMAT;
  instructions: string;
  input_audio_transcription: { model: string } | null;
  turn_detection: QwenTurnDetection;
  tools?: QwenTool[];
  temperature?: number;
}

export type QwenClientEvent =
  | { type: 'session.update'; session: QwenSessionConfig }
  | { type: 'input_audio_buffer.append'; audio: string }
  | { type: 'response.create'; response?: { instructions: string } }
  | { type: 'response.cancel' }
  | {
      type: 'conversation.item.create';
      item: { type: 'function_call_output'; call_id: string; output: string };
    }
  | {
      type: 'conversation.item.create';
      item: { type: 'message'; role: 'user'; content: [{ type: 'input_text'; text: string }] };
    };

export type QwenClientEventType = QwenClientEvent['type'];

function toQwenTurnDetection(td: TurnDetection): QwenTurnDetection {
  switch (td.type) {
    case 'server_vad':
      return {
        type: 'server_vad',
        threshold: td.threshold,
        prefix_padding_ms: td.prefixPaddingMs,
        silence_duration_ms: td.silenceDurationMs,
        ...(td.idleTimeoutMs === undefined ? {} : { idle_timeout_ms: td.idleTimeoutMs }),
      };
    case 'semantic_vad':
      return {
        type: 'semantic_vad',
        threshold: td.threshold,
        prefix_padding_ms: td.prefixPaddingMs,
        silence_duration_ms: td.silenceDurationMs,
      };
  }
}

function toQwenTool(tool: ToolDeclaration): QwenTool {
  return {
    type: 'function',
    function: { name: tool.name, description: tool.description, parameters: tool.parameters },
  };
}

export function sessionUpdate(profile: AgentProfile): QwenClientEvent & { type: 'session.update' } {
  const caps = capabilitiesOf(profile.model);
  const session: QwenSessionConfig = {
    // ["audio"] alone is rejected by the service; text rides along with every spoken answer.
    modalities: ['text', 'audio'],
    voice: profile.voice,
    input_audio_format: QWEN_AUDIO_FORMAT,
    output_audio_format: QWEN_AUDIO_FORMAT,
    instructions: profile.instructions,
    input_audio_transcription: profile.transcribeCaller ? { model: caps.transcriptionModel } : null,
    turn_detection: toQwenTurnDetection(profile.turnDetection),
  };
  // The agent loader leaves tools out for families that drop them; an agent without tools sends
  // no `tools` field at all.
  if (profile.tools.length > 0) session.tools = profile.tools.map(toQwenTool);
  if (profile.temperature !== undefined) session.temperature = profile.temperature;
  return { type: 'session.update', session };
}

export function inputAudioAppend(audioBase64: string): QwenClientEvent {
  return { type: 'input_audio_buffer.append', audio: audioBase64 };
}

export function responseCreate(instructions?: string): QwenClientEvent {
  return instructions === undefined ? { type: 'response.create' } : { type: 'response.create', response: { instructions } };
}

export function responseCancel(): QwenClientEvent {
  return { type: 'response.cancel' };
}

/** A user text message (qwen3.5/3.8 only): how the Qwen team's client makes the model speak first. */
export function userText(text: string): QwenClientEvent {
  return { type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] } };
}

export function functionCallOutput(callId: string, output: string): QwenClientEvent {
  return { type: 'conversation.item.create', item: { type: 'function_call_output', call_id: callId, output } };
}
