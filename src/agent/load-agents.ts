/**
 * Loads every agent file in a folder into a number → agent resolver. Fails fast, naming the
 * file and field, so a typo is found at start-up and not by the first caller.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { readWav } from '../audio/wav.js';
import type { AgentResolver, ResolvedAgent } from '../call/registry.js';
import { agentFileSchema, type AgentFile } from './agent-file.js';
import { builtinToolRunner, TOOL_DECLARATIONS } from './builtin-tools.js';
import type { AgentProfile } from './profile.js';

export class AgentConfigError extends Error {
  override name = 'AgentConfigError';
}

export interface LoadedAgents {
  resolve: AgentResolver;
  agents: ResolvedAgent[];
}

function toProfile(file: AgentFile, defaultModel: string, folder: string): AgentProfile {
  const greeting = file.greeting;
  return {
    id: file.id,
    model: file.model ?? defaultModel,
    voice: file.voice,
    instructions: file.instructions,
    greeting:
      greeting.mode === 'model'
        ? {
            mode: 'model',
            instructions: greeting.instructions,
            ...(greeting.fallback ? { fallback: { ...greeting.fallback, path: resolve(folder, greeting.fallback.path) } } : {}),
          }
        : greeting.mode === 'file'
          ? { ...greeting, path: resolve(folder, greeting.path) }
          : greeting,
    turnDetection: file.turnDetection,
    transcribeCaller: file.transcribeCaller,
    ...(file.temperature !== undefined ? { temperature: file.temperature } : {}),
    tools: file.tools.map((name) => TOOL_DECLARATIONS[name]),
    maxCallDurationMs: file.maxCallDurationMs,
    goodbyeInstructions: file.goodbyeInstructions,
  };
}

function greetingPath(profile: AgentProfile): string | undefined {
  const g = profile.greeting;
  if (g.mode === 'file') return g.path;
  if (g.mode === 'model') return g.fallback?.path;
  return undefined;
}

export function loadAgents(folder: string, defaultModel: string): LoadedAgents {
  let names: string[];
  try {
    names = readdirSync(folder).filter((name) => /\.ya?ml$/.test(name)).sort();
  } catch (err) {
    throw new AgentConfigError(`cannot read the agents folder ${folder}: ${(err as Error).message}`);
  }
  if (names.length === 0) throw new AgentConfigError(`no agent files (*.yaml) in ${folder}`);
  const byNumber = new Map<string, ResolvedAgent>();
  let fallback: ResolvedAgent | undefined;
  const agents: ResolvedAgent[] = [];
  const ids = new Set<string>();
  for (const name of names) {
    const path = join(folder, name);
    const result = agentFileSchema.safeParse(parseYaml(readFileSync(path, 'utf8')));
    if (!result.success) {
      const problems = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(top)'}: ${issue.message}`);
      throw new AgentConfigError(`invalid agent file ${basename(path)}:\n${problems.join('\n')}`);
    }
    const file = result.data;
    if (ids.has(file.id)) throw new AgentConfigError(`${name}: id "${file.id}" is used by another agent file`);
    ids.add(file.id);
    const profile = toProfile(file, defaultModel, folder);
    const audioPath = greetingPath(profile);
    let greetingAudio: ResolvedAgent['greetingAudio'];
    if (audioPath) {
      try {
        const wav = readWav(readFileSync(audioPath));
        greetingAudio = { pcm: wav.samples, sampleRateHz: wav.sampleRateHz };
      } catch (err) {
        throw new AgentConfigError(`${name}: greeting recording ${basename(audioPath)}: ${(err as Error).message}`);
      }
    }
    const agent: ResolvedAgent = { profile, runTool: builtinToolRunner(file.tools), ...(greetingAudio ? { greetingAudio } : {}) };
    agents.push(agent);
    for (const number of file.numbers) {
      if (number === '*') {
        if (fallback) throw new AgentConfigError(`${name}: "*" is already claimed by agent ${fallback.profile.id}`);
        fallback = agent;
        continue;
      }
      const key = normalizeNumber(number);
      const other = byNumber.get(key);
      if (other) throw new AgentConfigError(`${name}: number ${number} is already answered by agent ${other.profile.id}`);
      byNumber.set(key, agent);
    }
  }
  return { agents, resolve: (dialed) => byNumber.get(normalizeNumber(dialed)) ?? fallback };
}

/** Compare numbers by their digits and a leading +, so "+1 (555) 010-0100" matches "+15550100100". */
export function normalizeNumber(number: string): string {
  const trimmed = number.trim();
  const sipUser = /^sips?:([^@;]+)/.exec(trimmed)?.[1] ?? trimmed;
  return sipUser.replace(/[^\d+*#a-zA-Z]/g, '');
}
