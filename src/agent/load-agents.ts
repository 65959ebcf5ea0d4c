/**
 * Loads every agent file in a folder into a set of agents and a number → agent resolver. Every
 * mistake in every file is reported at once, each naming the file, the field and the fix, so a
 * typo is found at start-up (or by a reload, which then keeps the old set) and not by a caller.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import type { Logger } from 'pino';
import { parse as parseYaml } from 'yaml';
import type { AgentResolver, ResolvedAgent } from '../call/registry.js';
import { agentFileSchema, type AgentFile } from './agent-file.js';
import { compileAgent, type CompiledAgent } from './compile-agent.js';
import type { CallToolOptions } from './call-tools.js';
import { isOpen, type BusinessHours } from './business-hours.js';
import { NumberRouter, parseNumberPattern } from './number-routing.js';
import type { ModelRegion } from '../call/agent-profile.js';

export { normalizeNumber } from './number-routing.js';

export class AgentConfigError extends Error {
  override name = 'AgentConfigError';
}

export interface LoadOptions {
  /** The model of agents that name none (qwen.model). */
  defaultModel: string;
  /** Regions the bridge has an API key for; an agent naming another is refused. Unset: any. */
  regions?: ReadonlySet<ModelRegion>;
  /** Where `${NAME}` in webhook URLs and headers is looked up; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Parent of the per-call tool loggers. */
  logger: Logger;
  callTools?: CallToolOptions;
}

export interface AgentSet {
  /** Each agent once, in file-name order. */
  agents: ResolvedAgent[];
  resolve: AgentResolver;
  /** Things that load but will not work as written (tools on a model that cannot call them). */
  warnings: string[];
}

interface Route {
  agent: ResolvedAgent;
  hours?: BusinessHours;
  afterHours?: ResolvedAgent;
}

type Problems = string[];

function readAgentFile(folder: string, name: string, problems: Problems): AgentFile | undefined {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(resolvePath(folder, name), 'utf8'));
  } catch (err) {
    problems.push(`${name}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
    return undefined;
  }
  const result = agentFileSchema.safeParse(raw);
  if (result.success) return result.data;
  for (const issue of result.error.issues) problems.push(`${name}: ${issue.path.join('.') || '(top)'}: ${issue.message}`);
  return undefined;
}

export function loadAgents(folder: string, opts: LoadOptions): AgentSet {
  let names: string[];
  try {
    names = readdirSync(folder).filter((name) => /\.ya?ml$/.test(name)).sort();
  } catch (err) {
    throw new AgentConfigError(`cannot read the agents folder ${folder}: ${(err as Error).message}`);
  }
  if (names.length === 0) throw new AgentConfigError(`no agent files (*.yaml) in ${folder}`);

  const problems: Problems = [];
  const warnings: string[] = [];
  const compiled: CompiledAgent[] = [];
  const fileOf = new Map<string, string>();
  for (const name of names) {
    const file = readAgentFile(folder, name, problems);
    if (!file) continue;
    const other = fileOf.get(file.id);
    if (other !== undefined) {
      problems.push(`${name}: id: "${file.id}" is already used by ${other}; give each agent its own id`);
      continue;
    }
    fileOf.set(file.id, name);
    const agent = compileAgent(file, name, { folder, ...opts, problems, warnings });
    if (agent) compiled.push(agent);
  }

  const byId = new Map(compiled.map((agent) => [agent.file.id, agent]));
  const afterHoursTargets = new Set(compiled.map((agent) => agent.file.afterHours?.agent).filter((id) => id !== undefined));
  const router = new NumberRouter<Route>();
  for (const agent of compiled) {
    const { file, fileName } = agent;
    let afterHours = agent.afterHoursVariant;
    const afterHoursId = file.afterHours?.agent;
    if (afterHoursId !== undefined) {
      afterHours = byId.get(afterHoursId)?.resolved;
      if (!afterHours && fileOf.has(afterHoursId)) continue; // that file is broken; reported already
      if (!afterHours) problems.push(`${fileName}: afterHours.agent: no agent has id "${afterHoursId}" (ids: ${[...fileOf.keys()].join(', ')})`);
    }
    if (file.numbers.length === 0 && !afterHoursTargets.has(file.id)) {
      problems.push(`${fileName}: numbers: this agent answers no number; list numbers, or name it in another agent's afterHours.agent`);
    }
    const route: Route = { agent: agent.resolved, ...(agent.hours ? { hours: agent.hours } : {}), ...(afterHours ? { afterHours } : {}) };
    file.numbers.forEach((text, i) => {
      const pattern = parseNumberPattern(text);
      if (typeof pattern === 'string') return; // reported by the schema
      const conflict = router.add(pattern, route, file.id);
      if (conflict !== undefined) problems.push(`${fileName}: numbers.${i}: ${conflict}`);
    });
  }

  if (problems.length > 0) throw new AgentConfigError(`invalid agent files in ${folder}:\n  ${problems.join('\n  ')}`);
  return {
    agents: compiled.map((agent) => agent.resolved),
    warnings,
    resolve: (dialed, now = new Date()) => {
      const route = router.resolve(dialed);
      if (!route) return undefined;
      if (route.hours && route.afterHours && !isOpen(route.hours, now)) return route.afterHours;
      return route.agent;
    },
  };
}
