/**
 * The effective session configuration and its wire echo (§5.1, §6.2). Field names stay snake_case
 * because this object is echoed verbatim in `session.created` / `session.updated`.
 */
import type { FamilyTraits, SamplingDefaults } from './model-family.js';

export type Modality = 'text' | 'audio';
export type InputAudioFormat = 'pcm' | 'pcm16';
export type OutputAudioFormat = 'pcm' | 'pcm16' | 'pcm24';


export interface TurnDetectionConfig {
  type: 'server_vad' | 'semantic_vad';
  threshold: number;
  prefix_padding_ms: number;
  silence_duration_ms: number;
  create_response: boolean;
  interrupt_response: boolean;
  /** Present only on qwen3.5 models with server_vad, and only when the client set it. */
  idle_timeout_ms?: number;
}

export interface ToolDefinition {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown> };
}

/** The sampling fields are the family's SamplingDefaults, as the client may override them. */
export interface SessionConfig extends SamplingDefaults {
  modalities: Modality[];
  voice: string;
  instructions: string;
  input_audio_format: InputAudioFormat;
  output_audio_format: OutputAudioFormat;
  input_audio_transcription: { model: string } | null;
  turn_detection: TurnDetectionConfig | null;
  tools: ToolDefinition[];
  enable_search: boolean;
  search_options: Record<string, unknown>;
  smooth_output: boolean | null;
}

/** The `session` object of session.created / session.updated. */
export interface SessionObject extends Omit<SessionConfig, 'instructions' | 'smooth_output' | 'tools'> {
  id: string;
  object: 'realtime.session';
  model: string;
  /** null where the model silently drops tools (live mode, qwen3-omni-flash/turbo). */
  tools: ToolDefinition[] | null;
  instructions?: string;
  smooth_output?: boolean | null;
  /** OpenAI-style leftover seen in the service's echoes; clients should ignore it. */
  max_response_output_tokens: 'inf';
}

export const DEFAULT_TURN_DETECTION: Readonly<TurnDetectionConfig> = {
  type: 'server_vad',
  threshold: 0.5,
  prefix_padding_ms: 300,
  silence_duration_ms: 800,
  create_response: true,
  interrupt_response: true,
};

/** `transcriptionModel`: what the service reports it transcribes with (clients cannot change it). */
export function defaultSessionConfig(traits: FamilyTraits, transcriptionModel: string): SessionConfig {
  return {
    modalities: ['text', 'audio'],
    voice: traits.defaultVoice,
    instructions: '',
    input_audio_format: 'pcm',
    output_audio_format: 'pcm',
    input_audio_transcription: { model: transcriptionModel },
    turn_detection: { ...DEFAULT_TURN_DETECTION },
    tools: [],
    enable_search: false,
    search_options: {},
    smooth_output: true,
    ...traits.sampling,
  };
}

/**
 * Builds the echoed session object. `instructions` is listed only for session.updated in §6.2, so
 * session.created leaves it out; `smooth_output` only exists on the family where it takes effect.
 */
export function sessionObject(
  config: SessionConfig,
  ids: { sessionId: string; model: string },
  traits: FamilyTraits,
  kind: 'created' | 'updated',
  toolsDropped = false,
): SessionObject {
  const { instructions, smooth_output, tools, ...rest } = structuredClone(config);
  const echo: SessionObject = {
    id: ids.sessionId,
    object: 'realtime.session',
    model: ids.model,
    ...rest,
    tools: toolsDropped ? null : tools,
    max_response_output_tokens: 'inf',
  };
  if (kind === 'updated') echo.instructions = instructions;
  if (traits.hasSmoothOutput) echo.smooth_output = smooth_output;
  return echo;
}

export function isAudioModality(config: SessionConfig): boolean {
  return config.modalities.includes('audio');
}
