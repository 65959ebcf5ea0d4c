/** Agent files in a fresh temporary folder, and loading them the way the app does. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { loadAgents, type AgentSet } from '../../src/agent/load-agents.js';

export function agentsFolder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'qpb-agents-'));
  writeAgentFiles(dir, files);
  return dir;
}

export function writeAgentFiles(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
}

export const QWEN35 = 'qwen3.5-omni-flash-realtime';

export function loadFolder(
  dir: string,
  opts: { env?: NodeJS.ProcessEnv; logger?: Logger; defaultModel?: string; backoffMs?: number } = {},
): AgentSet {
  return loadAgents(dir, {
    defaultModel: opts.defaultModel ?? QWEN35,
    env: opts.env ?? {},
    logger: opts.logger ?? pino({ level: 'silent' }),
    callTools: { backoffMs: opts.backoffMs ?? 10 },
  });
}

/** A minimal valid agent file. */
export const minimalAgent = (id: string, numbers: string, extra = ''): string =>
  `id: ${id}\nnumbers: ${numbers}\ninstructions: Be brief.\n${extra}`;
