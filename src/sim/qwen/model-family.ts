/**
 * What differs between the Qwen-Omni-Realtime model families: defaults, feature support and the
 * audio-to-token rates used for `usage`. Values come from the protocol reference (§2, §5.1, §10).
 */

export type ModelFamily = 'qwen3.8-omni-flash' | 'qwen3.5-omni' | 'qwen3-omni-flash' | 'qwen-omni-turbo';

export interface SamplingDefaults {
  temperature: number;
  top_p: number;
  top_k: number | null;
  max_tokens: number;
  repetition_penalty: number;
  presence_penalty: number;
  seed: number;
}

export interface FamilyTraits {
  family: ModelFamily;
  defaultVoice: string;
  /**
   * What the docs say: `tools`, `semantic_vad`, `idle_timeout_ms` and `enable_search` exist only
   * on qwen3.5 (and qwen3.8) models. The documented mode follows these flags; the live-like mode
   * takes tools, semantic_vad and idle_timeout_ms from the shared capability table instead.
   */
  supportsTools: boolean;
  supportsSemanticVad: boolean;
  supportsIdleTimeout: boolean;
  supportsSearch: boolean;
  /** `smooth_output` takes effect (and is echoed) only on qwen3-omni-flash. */
  hasSmoothOutput: boolean;
  /** Turbo ignores sampling parameters: the echo keeps the fixed values whatever the client sends. */
  samplingFixed: boolean;
  sampling: SamplingDefaults;
  inputAudioTokensPerSecond: number;
  outputAudioTokensPerSecond: number;
}

// max_tokens is "the model's max output" in the docs; only turbo's (2,048) is stated. The others
// are a guess from a third-party context table (16,384 output tokens) and marked uncertain there.
const QWEN35: FamilyTraits = {
  family: 'qwen3.5-omni',
  defaultVoice: 'Tina',
  supportsTools: true,
  supportsSemanticVad: true,
  supportsIdleTimeout: true,
  supportsSearch: true,
  hasSmoothOutput: false,
  samplingFixed: false,
  sampling: {
    temperature: 0.7,
    top_p: 0.8,
    top_k: 20,
    max_tokens: 16_384,
    repetition_penalty: 1.0,
    presence_penalty: 1.5,
    seed: -1,
  },
  inputAudioTokensPerSecond: 7,
  outputAudioTokensPerSecond: 12.5,
};

/** qwen3.8-omni-flash-realtime: no separate documentation yet; it behaves like qwen3.5 as far as
 *  Qwen-Live-Harness shows (tools, semantic_vad, the same sampling defaults). */
const QWEN38: FamilyTraits = { ...QWEN35, family: 'qwen3.8-omni-flash' };

const QWEN3_FLASH: FamilyTraits = {
  family: 'qwen3-omni-flash',
  defaultVoice: 'Cherry',
  supportsTools: false,
  supportsSemanticVad: false,
  supportsIdleTimeout: false,
  supportsSearch: false,
  hasSmoothOutput: true,
  samplingFixed: false,
  sampling: {
    temperature: 0.9,
    top_p: 1.0,
    top_k: 50,
    max_tokens: 16_384,
    repetition_penalty: 1.05,
    presence_penalty: 0.0,
    seed: -1,
  },
  inputAudioTokensPerSecond: 12.5,
  outputAudioTokensPerSecond: 12.5,
};

const TURBO: FamilyTraits = {
  family: 'qwen-omni-turbo',
  defaultVoice: 'Chelsie',
  supportsTools: false,
  supportsSemanticVad: false,
  supportsIdleTimeout: false,
  supportsSearch: false,
  hasSmoothOutput: false,
  samplingFixed: true,
  sampling: {
    temperature: 1.0,
    top_p: 0.01,
    top_k: 20,
    max_tokens: 2_048,
    repetition_penalty: 1.05,
    presence_penalty: 0.0,
    seed: -1,
  },
  inputAudioTokensPerSecond: 25,
  outputAudioTokensPerSecond: 25,
};

/**
 * Any `qwen3.8-*` model gets qwen3.8's traits (qwen3.5's), any `qwen3.5-*` model the qwen3.5 feature set; `qwen-omni-turbo*` is the legacy family;
 * everything else (qwen3-omni-flash snapshots, unknown names) behaves like qwen3-omni-flash, the
 * conservative choice: no tools, no semantic_vad, no idle timeout.
 */
export function traitsOfModel(model: string): FamilyTraits {
  if (model.startsWith('qwen3.8-')) return QWEN38;
  if (model.startsWith('qwen3.5-')) return QWEN35;
  if (model.startsWith('qwen-omni-turbo')) return TURBO;
  return QWEN3_FLASH;
}
