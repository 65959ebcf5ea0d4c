/**
 * Validation of `session.update` (§5.1). An update is all-or-nothing: the first invalid field
 * produces an `error` and the session keeps its previous configuration. Fields the client leaves
 * out keep their current values. Unknown fields are ignored (the service's echoes carry extra
 * OpenAI-style fields, and the SDK sends fields such as `audio` that the seeds do not document).
 */
import type { ModelRules } from './fidelity.js';
import type { FamilyTraits } from './model-family.js';
import { protocolErrors, type ProtocolError } from './protocol-error.js';
import {
  DEFAULT_TURN_DETECTION,
  type InputAudioFormat,
  type Modality,
  type OutputAudioFormat,
  type SessionConfig,
  type ToolDefinition,
  type TurnDetectionConfig,
} from './session-config.js';

export type UpdateResult = { ok: true; config: SessionConfig } | { ok: false; error: ProtocolError };

class InvalidUpdate extends Error {
  constructor(readonly detail: ProtocolError) {
    super(detail.message);
  }
}

function fail(detail: ProtocolError): never {
  throw new InvalidUpdate(detail);
}

function invalid(param: string, value: unknown, expected: string): never {
  fail(protocolErrors.invalidValue(param, value, expected));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function numberWhere(param: string, value: unknown, ok: (n: number) => boolean, expected: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value)) invalid(param, value, expected);
  return value;
}

function integerIn(param: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    invalid(param, value, `Expected an integer between ${min} and ${max}.`);
  }
  return value;
}

function booleanAt(param: string, value: unknown): boolean {
  if (typeof value !== 'boolean') invalid(param, value, 'Expected a boolean.');
  return value;
}

function stringAt(param: string, value: unknown): string {
  if (typeof value !== 'string') invalid(param, value, 'Expected a string.');
  return value;
}

function oneOf<T extends string>(param: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    invalid(param, value, `Supported values are: ${allowed.map((a) => `'${a}'`).join(', ')}.`);
  }
  return value as T;
}

function parseModalities(value: unknown): Modality[] {
  const list = Array.isArray(value) && value.every((m) => typeof m === 'string') ? value : undefined;
  const set = new Set(list);
  const textOnly = list?.length === 1 && set.has('text');
  const textAndAudio = list?.length === 2 && set.size === 2 && set.has('text') && set.has('audio');
  if (!list || (!textOnly && !textAndAudio)) fail(protocolErrors.invalidModalities(value));
  return [...(list as Modality[])];
}

const INPUT_FORMATS: readonly InputAudioFormat[] = ['pcm', 'pcm16'];
// The SDK's legacy path sends "pcm16" for output too, so all three spellings are accepted.
const OUTPUT_FORMATS: readonly OutputAudioFormat[] = ['pcm', 'pcm16', 'pcm24'];
const VAD_TYPES = ['server_vad', 'semantic_vad'] as const;
const TD = 'session.turn_detection';

function parseTurnDetection(
  value: unknown,
  current: TurnDetectionConfig | null,
  rules: ModelRules,
  model: string,
): TurnDetectionConfig | null {
  if (value === null) return null;
  if (!isRecord(value)) invalid(TD, value, 'Expected an object or null.');
  const next: TurnDetectionConfig = { ...(current ?? DEFAULT_TURN_DETECTION) };
  if ('type' in value) next.type = oneOf(`${TD}.type`, value.type, VAD_TYPES);
  if (next.type === 'semantic_vad' && !rules.semanticVad) {
    fail(protocolErrors.notSupportedByModel(`${TD}.type`, model, "Turn detection type 'semantic_vad'"));
  }
  if ('threshold' in value) {
    const inRange = (n: number): boolean => n >= -1 && n <= 1;
    const expected = 'Expected a number between -1.0 and 1.0.';
    next.threshold = numberWhere(`${TD}.threshold`, value.threshold, inRange, expected);
  }
  if ('silence_duration_ms' in value) {
    next.silence_duration_ms = integerIn(`${TD}.silence_duration_ms`, value.silence_duration_ms, 200, 6000);
  }
  if ('prefix_padding_ms' in value) {
    // The range is undocumented; more than the longest silence duration is surely a mistake.
    next.prefix_padding_ms = integerIn(`${TD}.prefix_padding_ms`, value.prefix_padding_ms, 0, 6000);
  }
  if ('create_response' in value) next.create_response = booleanAt(`${TD}.create_response`, value.create_response);
  if ('interrupt_response' in value) {
    next.interrupt_response = booleanAt(`${TD}.interrupt_response`, value.interrupt_response);
  }
  if ('idle_timeout_ms' in value) {
    if (value.idle_timeout_ms === null) delete next.idle_timeout_ms;
    else next.idle_timeout_ms = integerIn(`${TD}.idle_timeout_ms`, value.idle_timeout_ms, 5000, 30000);
  }
  // The service echoes idle_timeout_ms only for qwen3.5 with server_vad (ZH-SE); elsewhere it is
  // silently dropped rather than rejected, so the simulator drops it too.
  if (next.type !== 'server_vad' || !rules.idleTimeout) delete next.idle_timeout_ms;
  return next;
}

const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;

function parseTool(tool: unknown, param: string): ToolDefinition {
  if (!isRecord(tool) || tool.type !== 'function' || !isRecord(tool.function)) {
    invalid(param, tool, "Expected {type: 'function', function: {name, description, parameters}}.");
  }
  const fn = tool.function;
  if (typeof fn.name !== 'string' || !TOOL_NAME.test(fn.name)) {
    invalid(`${param}.function.name`, fn.name, 'Expected 1-64 letters, digits, underscores or dashes.');
  }
  const definition: ToolDefinition = { type: 'function', function: { name: fn.name } };
  if (fn.description !== undefined) {
    definition.function.description = stringAt(`${param}.function.description`, fn.description);
  }
  if (fn.parameters !== undefined) {
    if (!isRecord(fn.parameters) || fn.parameters.type !== 'object') {
      invalid(`${param}.function.parameters`, fn.parameters, "Expected a JSON Schema with type 'object'.");
    }
    definition.function.parameters = structuredClone(fn.parameters);
  }
  return definition;
}

function parseTools(value: unknown): ToolDefinition[] {
  if (!Array.isArray(value)) invalid('session.tools', value, 'Expected an array.');
  return value.map((tool: unknown, i) => parseTool(tool, `session.tools[${i}]`));
}

/**
 * The nested `audio` format form is newer and undocumented in the seeds (§4). The simulator only
 * speaks 16 kHz in and 24 kHz out, so it accepts that form only when it asks for exactly those
 * rates: a client must not come to rely on 8 kHz passthrough against the simulator.
 */
function checkNestedAudioFormat(value: unknown): void {
  if (!isRecord(value)) invalid('session.audio', value, 'Expected an object.');
  for (const [side, rateHz] of [['input', 16_000], ['output', 24_000]] as const) {
    const sideValue = value[side];
    if (sideValue === undefined) continue;
    const format = isRecord(sideValue) ? sideValue.format : undefined;
    if (!isRecord(format) || format.type !== 'pcm' || format.sample_rate !== rateHz) {
      const expected = `The simulator supports only {type: 'pcm', sample_rate: ${rateHz}}.`;
      invalid(`session.audio.${side}.format`, format, expected);
    }
  }
}

function applySampling(next: SessionConfig, update: Record<string, unknown>, traits: FamilyTraits): void {
  // Turbo's sampling parameters "cannot be changed": they are accepted and ignored, and the echo
  // keeps the fixed values so a client can see that its settings did not take.
  if (traits.samplingFixed) return;
  if ('temperature' in update) {
    const inRange = (t: number): boolean => t >= 0 && t < 2;
    next.temperature = numberWhere('session.temperature', update.temperature, inRange, 'Expected a number in [0, 2).');
  }
  if ('top_p' in update) {
    next.top_p = numberWhere('session.top_p', update.top_p, (p) => p > 0 && p <= 1, 'Expected a number in (0, 1].');
  }
  if ('top_k' in update) {
    next.top_k = update.top_k === null ? null : integerIn('session.top_k', update.top_k, 0, Number.MAX_SAFE_INTEGER);
  }
  if ('max_tokens' in update) {
    next.max_tokens = integerIn('session.max_tokens', update.max_tokens, 1, Number.MAX_SAFE_INTEGER);
  }
  if ('repetition_penalty' in update) {
    const r = update.repetition_penalty;
    next.repetition_penalty = numberWhere('session.repetition_penalty', r, (n) => n > 0, 'Expected a number > 0.');
  }
  if ('presence_penalty' in update) {
    const p = update.presence_penalty;
    const inRange = (n: number): boolean => n >= -2 && n <= 2;
    const expected = 'Expected a number between -2.0 and 2.0.';
    next.presence_penalty = numberWhere('session.presence_penalty', p, inRange, expected);
  }
  // -1 is the echoed default ("random"), so it stays acceptable next to the documented 0 … 2^31-1.
  if ('seed' in update) next.seed = integerIn('session.seed', update.seed, -1, 2 ** 31 - 1);
}

function applyUpdate(
  current: SessionConfig,
  update: Record<string, unknown>,
  traits: FamilyTraits,
  rules: ModelRules,
  model: string,
): SessionConfig {
  const next = structuredClone(current);
  if ('modalities' in update) next.modalities = parseModalities(update.modalities);
  if ('voice' in update) {
    if (typeof update.voice !== 'string' || update.voice.trim() === '') {
      invalid('session.voice', update.voice, 'Expected a voice name.');
    }
    next.voice = update.voice;
  }
  if ('instructions' in update) next.instructions = stringAt('session.instructions', update.instructions);
  if ('input_audio_format' in update) {
    next.input_audio_format = oneOf('session.input_audio_format', update.input_audio_format, INPUT_FORMATS);
  }
  if ('output_audio_format' in update) {
    next.output_audio_format = oneOf('session.output_audio_format', update.output_audio_format, OUTPUT_FORMATS);
  }
  if ('audio' in update) checkNestedAudioFormat(update.audio);
  if ('input_audio_transcription' in update) {
    const t = update.input_audio_transcription;
    if (t !== null && !isRecord(t)) invalid('session.input_audio_transcription', t, 'Expected an object or null.');
    // The model is fixed on the service side; whatever the client names (or null, as the SDK
    // sends), the echo reports the one that is used.
    next.input_audio_transcription = t === null ? null : { model: rules.transcriptionModel };
  }
  if ('turn_detection' in update) {
    next.turn_detection = parseTurnDetection(update.turn_detection, current.turn_detection, rules, model);
  }
  if ('tools' in update) {
    const tools = parseTools(update.tools);
    if (tools.length > 0 && rules.tools === 'refused') {
      fail(protocolErrors.notSupportedByModel('session.tools', model, 'Function calling'));
    }
    // Live, older families: accepted without complaint, then gone (the echo shows tools: null).
    next.tools = rules.tools === 'dropped' ? [] : tools;
  }
  if ('enable_search' in update) {
    const enable = booleanAt('session.enable_search', update.enable_search);
    if (enable && !traits.supportsSearch) {
      fail(protocolErrors.notSupportedByModel('session.enable_search', model, 'Web search'));
    }
    next.enable_search = enable;
  }
  if ('search_options' in update) {
    const options = update.search_options;
    if (!isRecord(options)) invalid('session.search_options', options, 'Expected an object.');
    next.search_options = structuredClone(options);
  }
  if ('smooth_output' in update) {
    const s = update.smooth_output;
    if (s !== null && typeof s !== 'boolean') invalid('session.smooth_output', s, 'Expected true, false or null.');
    next.smooth_output = s;
  }
  applySampling(next, update, traits);
  // Checked on the merged result: tools set by an earlier update conflict with search turned on now.
  if (next.tools.length > 0 && next.enable_search) fail(protocolErrors.toolsWithSearch());
  return next;
}

export function applySessionUpdate(
  current: SessionConfig,
  update: unknown,
  traits: FamilyTraits,
  rules: ModelRules,
  model: string,
): UpdateResult {
  if (update === undefined) return { ok: false, error: protocolErrors.missingParameter('session') };
  if (!isRecord(update)) {
    return { ok: false, error: protocolErrors.invalidValue('session', update, 'Expected an object.') };
  }
  try {
    return { ok: true, config: applyUpdate(current, update, traits, rules, model) };
  } catch (err) {
    if (err instanceof InvalidUpdate) return { ok: false, error: err.detail };
    throw err;
  }
}
