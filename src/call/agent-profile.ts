/**
 * An agent profile: how the agent answering a number sounds and behaves. The loader in
 * src/agent (profiles from config/agents/*.yaml) produces these; the call core only reads them.
 * It lives in call/ because it is the core's own port: the core and the model adapter read it
 * without depending on how agents are loaded.
 */
export type TurnDetection =
  | {
      type: 'server_vad';
      threshold: number;
      prefixPaddingMs: number;
      silenceDurationMs: number;
      /** qwen3.5 models with server_vad only: the model re-prompts a silent caller. */
      idleTimeoutMs?: number;
    }
  | { type: 'semantic_vad'; threshold: number; prefixPaddingMs: number; silenceDurationMs: number };

export interface GreetingFile {
  /** WAV, PCM16 mono, any rate; resolved against the agent file's folder by the loader. */
  path: string;
  /** What the recording says, for the transcript and so the model knows it was said. */
  transcript: string;
}

export type Greeting =
  /** The model speaks first: `response.create` with these instructions right after session.updated. */
  | { mode: 'model'; instructions: string; fallback?: GreetingFile }
  /** A recorded prompt played locally (WAV, PCM16 mono, any rate), for services that reject the above. */
  | ({ mode: 'file' } & GreetingFile)
  | { mode: 'none' };

export interface ToolDeclaration {
  name: string;
  description: string;
  /** JSON Schema of the arguments (type: object). */
  parameters: Record<string, unknown>;
}

/** Model Studio regions with a realtime endpoint; an API key belongs to one of them. */
export type ModelRegion = 'singapore' | 'beijing';

export interface AgentProfile {
  id: string;
  model: string;
  /** Whose endpoint (and key) the model session uses; unset: the bridge's configured region. */
  region?: ModelRegion;
  voice: string;
  /** The system prompt as sent (an agent's `language` is a line in it: the protocol has no field). */
  instructions: string;
  greeting: Greeting;
  turnDetection: TurnDetection;
  /** Transcribe caller speech (input_audio_transcription). */
  transcribeCaller: boolean;
  temperature?: number;
  tools: ToolDeclaration[];
  /** The call ends itself (with a spoken goodbye) after this long. */
  maxCallDurationMs: number;
  /** Said (by the model) before a max-duration hang-up. */
  goodbyeInstructions: string;
}
