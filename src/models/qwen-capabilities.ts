/**
 * What each Qwen-Omni-Realtime model family accepts, in one table that the agent loader (checks
 * at load), the client (what it sends, what it expects back) and the simulator's live-like mode
 * (what it accepts, what it drops) all read, so the three cannot drift apart.
 *
 * Sources, in the order they win: what the live service was seen to do (field findings), the
 * official clients (Alibaba's SDKs and demos, the Qwen team's Qwen-Live-Harness), then the docs.
 * Where nothing settles a value, the comment says so. This module is a leaf: it imports nothing.
 */

export type QwenFamily = 'qwen3.8-omni-flash' | 'qwen3.5-omni' | 'qwen3-omni-flash' | 'qwen-omni-turbo' | 'unknown';

/**
 * What happens to `tools` in session.update:
 * - `supported`: the model calls them (qwen3.5, and qwen3.8 as Qwen-Live-Harness uses it);
 * - `dropped`: accepted and silently dropped, the echo shows `tools: null` (qwen3-omni-flash as
 *   seen live; the docs claim an error, the field says otherwise). Turbo is assumed to match.
 */
export type ToolSupport = 'supported' | 'dropped';

export interface QwenModelCapabilities {
  family: QwenFamily;
  tools: ToolSupport;
  /** `turn_detection.type: semantic_vad`; a sibling model family answers it with an error when unsupported. */
  semanticVad: boolean;
  /** `turn_detection.idle_timeout_ms` (server_vad only); dropped silently where unsupported. */
  idleTimeout: boolean;
  /** Voices the family speaks. An empty list means the family is not known: nothing is checked. */
  voices: readonly string[];
  defaultVoice: string;
  /** Cloned voices (enrolled for this target model) may be named by their id. */
  clonedVoices: boolean;
  /** `input_audio_transcription.model` to send; the docs for the older families accept one value only. */
  transcriptionModel: string;
  /**
   * `conversation.item.create` with a user `input_text` message is accepted (qwen3.5: verified
   * live by third parties; qwen3.8: used by Qwen-Live-Harness). Older families: documented as
   * function_call_output only.
   */
  userTextItems: boolean;
}

/**
 * The service closes a session that receives nothing for about 25–30 s (a 1011 close; the exact
 * figure is undocumented). Qwen-Live-Harness sends one second of zero PCM every 30 s while muted;
 * we send it twice as often, because the close comes in under 30 s in some reports.
 */
export const KEEP_ALIVE = {
  /** Send silence when no caller audio has been appended for this long. */
  intervalMs: 15_000,
  /** How much zero PCM16 (16 kHz mono) one keep-alive carries. */
  silenceMs: 1_000,
  /** What the simulator's live-like mode uses for the service's idle close. */
  serviceIdleCloseMs: 25_000,
} as const;

/** qwen3.5-omni-plus/flash-realtime, 55 voices (Model Studio voice list, Mar 2026). */
const QWEN35_VOICES = [
  'Tina', 'Cindy', 'Liora Mira', 'Sunnybobi', 'Raymond', 'Ethan', 'Theo Calm', 'Serena', 'Harvey', 'Maia',
  'Evan', 'Qiao', 'Momo', 'Wil', 'Angel', 'Li Cassian', 'Mia', 'Joyner', 'Gold', 'Katerina', 'Ryan',
  'Jennifer', 'Aiden', 'Mione', 'Sohee', 'Lenn', 'Ono Anna', 'Sonrisa', 'Bodega', 'Emilien', 'Andre',
  'Radio Gol', 'Alek', 'Rizky', 'Roya', 'Arda', 'Hana', 'Dolce', 'Jakub', 'Griet', 'Eliška', 'Marina',
  'Siiri', 'Ingrid', 'Sigga', 'Bea', 'Chloe',
  // dialect voices
  'Sunny', 'Dylan', 'Eric', 'Peter', 'Joseph Chen', 'Marcus', 'Li', 'Rocky',
] as const;

/** qwen3-omni-flash-realtime-2025-12-01, 49 voices. */
const QWEN3_FLASH_1201_VOICES = [
  'Cherry', 'Serena', 'Ethan', 'Chelsie', 'Momo', 'Vivian', 'Moon', 'Maia', 'Kai', 'Nofish', 'Bella',
  'Jennifer', 'Ryan', 'Katerina', 'Aiden', 'Eldric Sage', 'Mia', 'Mochi', 'Bellona', 'Vincent', 'Bunny',
  'Neil', 'Elias', 'Arthur', 'Nini', 'Ebona', 'Seren', 'Pip', 'Stella', 'Bodega', 'Sonrisa', 'Alek',
  'Dolce', 'Sohee', 'Ono Anna', 'Lenn', 'Emilien', 'Andre', 'Radio Gol',
  'Jada', 'Dylan', 'Li', 'Marcus', 'Roy', 'Peter', 'Sunny', 'Eric', 'Rocky', 'Kiki',
] as const;

/** qwen3-omni-flash-realtime and its -2025-09-15 snapshot, 17 voices. */
const QWEN3_FLASH_0915_VOICES = [
  'Cherry', 'Ethan', 'Nofish', 'Jennifer', 'Ryan', 'Katerina', 'Elias', 'Jada', 'Dylan', 'Sunny', 'Li',
  'Marcus', 'Roy', 'Peter', 'Rocky', 'Kiki', 'Eric',
] as const;

const TURBO_VOICES = ['Cherry', 'Serena', 'Ethan', 'Chelsie'] as const;

/** What the qwen3.5/3.8 models transcribe with (Qwen-Live-Harness; the current docs). */
const QWEN3_ASR = 'qwen3-asr-flash-realtime';
/** The only value the docs of the older families accept ("currently only gummy-realtime-v1"). */
const GUMMY = 'gummy-realtime-v1';

const QWEN35: QwenModelCapabilities = {
  family: 'qwen3.5-omni',
  tools: 'supported',
  semanticVad: true,
  idleTimeout: true,
  voices: QWEN35_VOICES,
  defaultVoice: 'Tina',
  clonedVoices: true,
  transcriptionModel: QWEN3_ASR,
  userTextItems: true,
};

// No voice list is published for qwen3.8 yet; the clients that use it (Qwen-Live-Harness and
// others) default to Tina and pick from the qwen3.5 list, so that list is what we check. Tools and
// semantic VAD as Qwen-Live-Harness uses them.
const QWEN38: QwenModelCapabilities = { ...QWEN35, family: 'qwen3.8-omni-flash' };

const QWEN3_FLASH_BASE = {
  family: 'qwen3-omni-flash',
  tools: 'dropped',
  semanticVad: false,
  idleTimeout: false,
  defaultVoice: 'Cherry',
  clonedVoices: false,
  transcriptionModel: GUMMY,
  userTextItems: false,
} as const;

const TURBO: QwenModelCapabilities = {
  family: 'qwen-omni-turbo',
  tools: 'dropped',
  semanticVad: false,
  idleTimeout: false,
  voices: TURBO_VOICES,
  defaultVoice: 'Chelsie',
  clonedVoices: false,
  transcriptionModel: GUMMY,
  userTextItems: false,
};

/** A model name we have no facts for: send what the newest family takes and check nothing. */
const UNKNOWN: QwenModelCapabilities = { ...QWEN35, family: 'unknown', voices: [] };

export function capabilitiesOf(model: string): QwenModelCapabilities {
  if (model.startsWith('qwen3.8-omni-')) return QWEN38;
  if (model.startsWith('qwen3.5-omni-')) return QWEN35;
  if (model.startsWith('qwen3-omni-flash-realtime-2025-12-01')) return { ...QWEN3_FLASH_BASE, voices: QWEN3_FLASH_1201_VOICES };
  if (model.startsWith('qwen3-omni-flash')) return { ...QWEN3_FLASH_BASE, voices: QWEN3_FLASH_0915_VOICES };
  if (model.startsWith('qwen-omni-turbo')) return TURBO;
  return UNKNOWN;
}

/**
 * Ids of enrolled (cloned) voices, e.g. `qwen-omni-vc-…`. Only the prefix is known; the id itself
 * cannot be checked without the enrollment API, so such a voice loads with a warning.
 */
export function looksLikeClonedVoice(voice: string): boolean {
  return /^qwen[a-z0-9.-]*-vc-[A-Za-z0-9_-]+$/.test(voice);
}

export type VoiceVerdict =
  | { kind: 'ok' }
  | { kind: 'unchecked'; why: string }
  | { kind: 'cloned'; why: string }
  | { kind: 'unsupported'; why: string };

/** Is `voice` one the model speaks? The live service accepts any name at session.update and fails at the first answer. */
export function checkVoice(model: string, voice: string): VoiceVerdict {
  const caps = capabilitiesOf(model);
  if (caps.voices.length === 0) return { kind: 'unchecked', why: `no voice list is known for model ${model}` };
  if (caps.voices.includes(voice)) return { kind: 'ok' };
  if (caps.clonedVoices && looksLikeClonedVoice(voice)) {
    return { kind: 'cloned', why: `voice ${voice} looks like a cloned-voice id; it must have been enrolled for ${model}` };
  }
  return {
    kind: 'unsupported',
    why: `voice "${voice}" is not one ${model} speaks (the service accepts it at connect, then every answer fails); use one of: ${caps.voices.join(', ')}`,
  };
}
