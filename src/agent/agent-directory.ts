/**
 * The agents the bridge answers with, reloadable while calls run (SIGHUP, the admin API). A
 * reload builds a whole new set and swaps it in only if every file is valid, so a typo keeps the
 * old set answering. Live calls are untouched either way: each kept the profile and tools it was
 * admitted with (the registry resolves once per call), and a reload never mutates them.
 */
import type { AgentResolver, ResolvedAgent } from '../call/registry.js';
import { loadAgents, type AgentSet, type LoadOptions } from './load-agents.js';

export type ReloadResult = { ok: true; agents: number } | { ok: false; error: string };

export interface AgentDirectory {
  /** The agent for a dialed number at `now` (default: the current time; business hours). */
  resolve: AgentResolver;
  /** Re-read the folder; on any error keep the current set and say why. */
  reload(): ReloadResult;
  /** The current set, each agent once. */
  readonly agents: readonly ResolvedAgent[];
}

/** Loads the folder; throws AgentConfigError when it is invalid (the bridge must not start). */
export function openAgentDirectory(folder: string, opts: LoadOptions): AgentDirectory {
  const log = opts.logger;
  const load = (): AgentSet => {
    const set = loadAgents(folder, opts);
    for (const warning of set.warnings) log.warn({ folder }, warning);
    return set;
  };
  let current = load();
  return {
    resolve: (dialed, now) => current.resolve(dialed, now),
    get agents() {
      return current.agents;
    },
    reload() {
      try {
        current = load();
        log.info({ folder, agents: current.agents.length }, 'agents reloaded');
        return { ok: true, agents: current.agents.length };
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        log.error({ folder, error }, 'agent reload failed; the previous agents stay in service');
        return { ok: false, error };
      }
    },
  };
}
