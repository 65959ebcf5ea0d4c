/**
 * One validated agent file → what the bridge runs: the profile the call and the model session
 * read, the tool spec per-call tools are opened from, business hours, and the after-hours
 * variant. Problems that need the outside world (a missing environment variable, an unreadable
 * instructions file or recording) are reported here, by file and field.
 */
import { readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { readWav } from '../audio/wav.js';
import type { RecordedLine } from '../call/call.js';
import type { ResolvedAgent } from '../call/registry.js';
import type { AgentFile, BuiltinToolName, GreetingFileEntry } from './agent-file.js';
import { COLLECT_DIGITS, END_CALL, transferCallDeclaration, type TransferTarget } from './builtin-tools.js';
import { parseRange, type BusinessHours, type Weekday } from './business-hours.js';
import { openCallTools, type AgentToolSpec, type CallToolOptions } from './call-tools.js';
import { expandEnv } from './env-template.js';
import { compileKeypad } from './keypad.js';
import { capabilitiesOf, checkVoice } from '../models/qwen-capabilities.js';
import type { AgentProfile, Greeting, ModelRegion, ToolDeclaration } from '../call/agent-profile.js';
import type { WebhookEndpoint } from './webhook-client.js';
import { sensitiveParameters } from './webhook-file.js';
import type { WebhookTool } from './webhook-tool.js';

export interface CompileContext {
  folder: string;
  defaultModel: string;
  regions?: ReadonlySet<ModelRegion>;
  env?: NodeJS.ProcessEnv;
  logger: Logger;
  callTools?: CallToolOptions;
  problems: string[];
  warnings: string[];
}

export interface CompiledAgent {
  file: AgentFile;
  fileName: string;
  resolved: ResolvedAgent;
  hours?: BusinessHours;
  /** This agent with its after-hours greeting (afterHours.greeting); undefined with afterHours.agent. */
  afterHoursVariant?: ResolvedAgent;
}

type Audio = { pcm: Int16Array; sampleRateHz: number };

/** Greeting paths are relative to the agent file's folder. */
function resolveGreeting(greeting: GreetingFileEntry, folder: string): Greeting {
  if (greeting.mode === 'file') return { ...greeting, path: resolvePath(folder, greeting.path) };
  if (greeting.mode === 'model' && greeting.fallback) {
    return { ...greeting, fallback: { ...greeting.fallback, path: resolvePath(folder, greeting.fallback.path) } };
  }
  return greeting;
}

/**
 * The shipped reconnect line, for agents that name none (English, espeak-ng; see assets/README.md).
 * An agent without its own unavailable line gets the bridge-wide apology (calls.unavailable).
 */
const DEFAULT_RECONNECT_LINE = {
  path: fileURLToPath(new URL('../../assets/one-moment.wav', import.meta.url)),
  transcript: 'Sorry, one moment please.',
} as const;

/** Reads a WAV an agent names; a problem is reported as `label: file: why`. */
function readRecording(path: string, label: string, ctx: CompileContext): Audio | false {
  try {
    const wav = readWav(readFileSync(path));
    return { pcm: wav.samples, sampleRateHz: wav.sampleRateHz };
  } catch (err) {
    ctx.problems.push(`${label} ${path.split(/[\\/]/).pop()}: ${(err as Error).message}`);
    return false;
  }
}

/** The shipped line is the same for every agent: read once per process. */
let shippedReconnectLine: RecordedLine | undefined;

function recordedLine(entry: { path: string; transcript: string }, where: string, ctx: CompileContext): RecordedLine | undefined {
  if (entry === DEFAULT_RECONNECT_LINE && shippedReconnectLine !== undefined) return shippedReconnectLine;
  const audio = readRecording(entry.path, `${where}:`, ctx);
  if (audio === false) return undefined;
  const line = { ...audio, transcript: entry.transcript };
  if (entry === DEFAULT_RECONNECT_LINE) shippedReconnectLine = line;
  return line;
}

function continuityLines(file: AgentFile, fileName: string, ctx: CompileContext): ResolvedAgent['lines'] {
  const line = (key: 'reconnectLine' | 'unavailableLine'): RecordedLine | undefined => {
    const own = file.continuity[key];
    const entry = own ? { ...own, path: resolvePath(ctx.folder, own.path) } : key === 'reconnectLine' ? DEFAULT_RECONNECT_LINE : undefined;
    return entry && recordedLine(entry, `${fileName}: continuity.${key}`, ctx);
  };
  const reconnect = line('reconnectLine');
  const unavailable = line('unavailableLine');
  return { ...(reconnect ? { reconnect } : {}), ...(unavailable ? { unavailable } : {}) };
}

function greetingAudio(greeting: Greeting, where: string, ctx: CompileContext): Audio | undefined | false {
  const path = greeting.mode === 'file' ? greeting.path : greeting.mode === 'model' ? greeting.fallback?.path : undefined;
  if (path === undefined) return undefined;
  return readRecording(path, `${where}: greeting recording`, ctx);
}

/** Expands `${NAME}` in a webhook's URL and headers; problems name the field, never the value. */
function webhookEndpoint(
  spec: { url: string; headers: Record<string, string>; timeoutMs: number },
  field: string,
  where: string,
  ctx: CompileContext,
): WebhookEndpoint | undefined {
  const env = ctx.env ?? process.env;
  let ok = true;
  const expand = (template: string, path: string): string => {
    const result = expandEnv(template, env);
    if (result.ok) return result.value;
    ok = false;
    for (const name of result.missing) {
      ctx.problems.push(`${where}: ${path}: environment variable ${name} is not set; set it in the bridge's environment`);
    }
    return '';
  };
  const url = expand(spec.url, `${field}.url`);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(spec.headers)) headers[name] = expand(value, `${field}.headers.${name}`);
  if (!ok) return undefined;
  let protocol = '';
  try {
    protocol = new URL(url).protocol;
  } catch {
    // reported below
  }
  if (protocol !== 'http:' && protocol !== 'https:') {
    ctx.problems.push(`${where}: ${field}.url: "${spec.url}" is not an http(s) URL once expanded`);
    return undefined;
  }
  return { url, headers, timeoutMs: spec.timeoutMs };
}

function businessHours(file: AgentFile): BusinessHours | undefined {
  const spec = file.businessHours;
  if (!spec) return undefined;
  const weekly: BusinessHours['weekly'] = {};
  for (const [day, ranges] of Object.entries(spec.weekly)) {
    // The schema checked every range parses.
    weekly[day as Weekday] = (ranges ?? []).map(parseRange).filter((r): r is [number, number] => typeof r !== 'string');
  }
  return { timeZone: spec.timeZone, weekly, holidays: new Set(spec.holidays) };
}

function instructionsOf(file: AgentFile, where: string, ctx: CompileContext): string | undefined {
  let text = file.instructions;
  if (text === undefined && file.instructionsFile !== undefined) {
    try {
      text = readFileSync(resolvePath(ctx.folder, file.instructionsFile), 'utf8').trim();
    } catch (err) {
      ctx.problems.push(`${where}: instructionsFile: cannot read ${file.instructionsFile} (${(err as NodeJS.ErrnoException).code ?? 'error'}); the path is relative to the agents folder`);
      return undefined;
    }
  }
  if (text === undefined) return undefined;
  // The protocol has no language field (§5.1): the instructions are the only place to say it.
  return file.language !== undefined ? `${text.trimEnd()}\n\nSpeak ${file.language} on this call.` : text;
}

/** The voice the agent speaks with: given and valid for the model, or the family's default. */
function checkedVoice(file: AgentFile, model: string, fileName: string, ctx: CompileContext): string {
  if (file.voice === undefined) return capabilitiesOf(model).defaultVoice;
  const verdict = checkVoice(model, file.voice);
  switch (verdict.kind) {
    case 'ok':
      break;
    case 'unsupported':
      ctx.problems.push(`${fileName}: voice: ${verdict.why}`);
      break;
    case 'cloned':
    case 'unchecked':
      ctx.warnings.push(`${fileName}: voice: ${verdict.why}`);
      break;
  }
  return file.voice;
}

/**
 * semantic_vad on a family without it is refused (the sibling audio models answer it with an
 * error, and a refused session.update fails every call); idle_timeout_ms there is dropped by the
 * service anyway, so it is left out with a warning.
 */
function checkedTurnDetection(file: AgentFile, model: string, fileName: string, ctx: CompileContext): AgentFile['turnDetection'] {
  const caps = capabilitiesOf(model);
  const td = file.turnDetection;
  if (td.type === 'semantic_vad' && !caps.semanticVad) {
    ctx.problems.push(`${fileName}: turnDetection.type: semantic_vad is not available on ${model}; use server_vad (or a qwen3.5/qwen3.8 model)`);
  }
  if (td.type === 'server_vad' && td.idleTimeoutMs !== undefined && !caps.idleTimeout) {
    ctx.warnings.push(`${fileName}: turnDetection.idleTimeoutMs: ${model} does not re-prompt a silent caller; left out`);
    const { idleTimeoutMs: _dropped, ...rest } = td;
    return rest;
  }
  return td;
}

export function compileAgent(file: AgentFile, fileName: string, ctx: CompileContext): CompiledAgent | undefined {
  const problemsBefore = ctx.problems.length;
  const instructions = instructionsOf(file, fileName, ctx);
  const model = file.model ?? ctx.defaultModel;
  if (file.region && ctx.regions && !ctx.regions.has(file.region)) {
    ctx.problems.push(`${fileName}: region: no API key for ${file.region}; set DASHSCOPE_API_KEY_${file.region.toUpperCase()} (a key works only in its own region)`);
  }

  const targets = new Map<string, TransferTarget>(Object.entries(file.transfer?.targets ?? {}));
  const transferTimeoutMs = file.transfer?.timeoutMs ?? 30_000;
  const transferWebhook = file.transfer?.webhook ? webhookEndpoint(file.transfer.webhook, 'transfer.webhook', fileName, ctx) : undefined;

  const builtins = new Set<BuiltinToolName>();
  const webhooks = new Map<string, WebhookTool>();
  const declarations: ToolDeclaration[] = [];
  file.tools.forEach((tool, i) => {
    if ('builtin' in tool) {
      builtins.add(tool.builtin);
      declarations.push(tool.builtin === 'end_call' ? END_CALL : tool.builtin === 'collect_digits' ? COLLECT_DIGITS : transferCallDeclaration(targets));
      return;
    }
    const spec = tool.webhook;
    const endpoint = webhookEndpoint(spec, `tools.${i}`, fileName, ctx);
    const sensitive = sensitiveParameters(spec.parameters);
    if (endpoint) webhooks.set(spec.name, { name: spec.name, endpoint, retries: spec.retries, maxResponseBytes: spec.maxResponseBytes, sensitivePaths: sensitive.paths });
    declarations.push({ name: spec.name, description: spec.description, parameters: sensitive.forModel });
  });
  const caps = capabilitiesOf(model);
  const toolsOffered = declarations.length === 0 || caps.tools === 'supported';
  if (!toolsOffered) {
    ctx.warnings.push(
      `${fileName}: model ${model} drops tools silently (only the qwen3.5 and qwen3.8 models call them): ${declarations.map((d) => d.name).join(', ')} left out; the keypad map still works`,
    );
    builtins.clear();
    webhooks.clear();
  }
  const voice = checkedVoice(file, model, fileName, ctx);
  const turnDetection = checkedTurnDetection(file, model, fileName, ctx);

  const greeting = resolveGreeting(file.greeting, ctx.folder);
  const audio = greetingAudio(greeting, fileName, ctx);
  const lines = continuityLines(file, fileName, ctx);
  const afterHoursGreeting = file.afterHours?.greeting ? resolveGreeting(file.afterHours.greeting, ctx.folder) : undefined;
  const afterHoursAudio = afterHoursGreeting ? greetingAudio(afterHoursGreeting, `${fileName}: afterHours`, ctx) : undefined;
  if (ctx.problems.length > problemsBefore || instructions === undefined || audio === false || afterHoursAudio === false) return undefined;

  const profile: AgentProfile = {
    id: file.id,
    model,
    ...(file.region ? { region: file.region } : {}),
    voice,
    instructions,
    greeting,
    turnDetection,
    transcribeCaller: file.transcribeCaller,
    ...(file.temperature !== undefined ? { temperature: file.temperature } : {}),
    tools: toolsOffered ? declarations : [],
    maxCallDurationMs: file.maxCallDurationMs,
    goodbyeInstructions: file.goodbyeInstructions,
  };
  const spec: AgentToolSpec = {
    agentId: file.id,
    builtins,
    webhooks,
    targets,
    transferTimeoutMs,
    ...(transferWebhook ? { transferWebhook } : {}),
    keypad: compileKeypad(file.keypad, targets, transferTimeoutMs),
  };
  const openTools: ResolvedAgent['openTools'] = (call) => openCallTools(spec, call, ctx.logger, ctx.callTools);
  const resolved: ResolvedAgent = { profile, openTools, lines, ...(audio ? { greetingAudio: audio } : {}) };

  let afterHoursVariant: ResolvedAgent | undefined;
  if (afterHoursGreeting) {
    const extra = file.afterHours?.instructions;
    afterHoursVariant = {
      profile: { ...profile, greeting: afterHoursGreeting, instructions: extra ? `${instructions.trimEnd()}\n\n${extra}` : instructions },
      openTools,
      lines,
      ...(afterHoursAudio ? { greetingAudio: afterHoursAudio } : {}),
    };
  }
  const hours = businessHours(file);
  return { file, fileName, resolved, ...(hours ? { hours } : {}), ...(afterHoursVariant ? { afterHoursVariant } : {}) };
}
