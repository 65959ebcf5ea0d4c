/**
 * Which service the simulator imitates. `documented` follows Alibaba's documentation (the
 * protocol reference). `live` (the default) does what the live service was seen to do where that
 * differs (field findings, gaps S-1…S-12): any voice accepted at connect but refused at the first
 * synthesis, numeric error codes, tools silently dropped on older families, user text items,
 * idle close, `cancelled` with status_details, empty-`text` transcription previews, tool-call
 * responses that take their time. What a model family accepts comes from the capability table
 * shared with the client and the agent loader, so the three cannot drift apart.
 */
import { capabilitiesOf, checkVoice } from '../../models/qwen-capabilities.js';
import type { FamilyTraits } from './model-family.js';

export type Fidelity = 'live' | 'documented';

/**
 * What happens to `tools` in session.update: used, silently dropped (echo `tools: null`, the live
 * service on qwen3-omni-flash/turbo), or refused with an error (the docs, on those families).
 */
export type ToolRule = 'supported' | 'dropped' | 'refused';

/** What one session accepts, for its model under the chosen fidelity. */
export interface ModelRules {
  fidelity: Fidelity;
  tools: ToolRule;
  semanticVad: boolean;
  idleTimeout: boolean;
  /** conversation.item.create with a user `input_text` message. */
  userTextItems: boolean;
  /** What input_audio_transcription.model the echo reports (the service picks it). */
  transcriptionModel: string;
  /** Undefined when the voice may speak; otherwise the service's message when synthesis fails. */
  voiceFailure(voice: string): string | undefined;
}

/** The transcription model the current docs name for every family. */
export const DOCUMENTED_TRANSCRIPTION_MODEL = 'qwen3-asr-flash-realtime';

export function modelRules(fidelity: Fidelity, model: string, traits: FamilyTraits): ModelRules {
  if (fidelity === 'documented') {
    return {
      fidelity,
      tools: traits.supportsTools ? 'supported' : 'refused',
      semanticVad: traits.supportsSemanticVad,
      idleTimeout: traits.supportsIdleTimeout,
      userTextItems: false,
      transcriptionModel: DOCUMENTED_TRANSCRIPTION_MODEL,
      voiceFailure: () => undefined,
    };
  }
  const caps = capabilitiesOf(model);
  return {
    fidelity,
    tools: caps.tools,
    semanticVad: caps.semanticVad,
    idleTimeout: caps.idleTimeout,
    userTextItems: caps.userTextItems,
    transcriptionModel: caps.transcriptionModel,
    // Cloned-voice ids and models without a known list pass: only a name known to be wrong fails.
    voiceFailure: (voice) => (checkVoice(model, voice).kind === 'unsupported' ? `Voice '${voice}' is not supported.` : undefined),
  };
}
