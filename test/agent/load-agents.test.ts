import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AgentConfigError, loadAgents, normalizeNumber } from '../../src/agent/load-agents.js';

const SHIPPED_AGENTS = fileURLToPath(new URL('../../config/agents', import.meta.url));

function agentsFolder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'qpb-agents-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const minimal = (id: string, numbers: string) => `id: ${id}\nnumbers: ${numbers}\ninstructions: Be brief.\n`;

describe('agent files', () => {
  it('loads the shipped support agent with its recorded fallback greeting', () => {
    const { agents, resolve } = loadAgents(SHIPPED_AGENTS, 'qwen3.5-omni-flash-realtime');
    expect(agents).toHaveLength(1);
    const agent = resolve('+15550100')!;
    expect(agent.profile.id).toBe('support');
    expect(agent.profile.tools.map((t) => t.name)).toEqual(['end_call']);
    expect(agent.greetingAudio?.sampleRateHz).toBe(8000);
    expect(agent.greetingAudio!.pcm.length).toBeGreaterThan(8000);
  });

  it('routes exact numbers first and "*" for the rest; unknown numbers without "*" get nothing', () => {
    const dir = agentsFolder({ 'a.yaml': minimal('sales', '["+1 (555) 010-0200"]'), 'b.yaml': minimal('front', '["*"]') });
    const { resolve } = loadAgents(dir, 'm');
    expect(resolve('+15550100200')!.profile.id).toBe('sales');
    expect(resolve('sip:+15550100200@pbx.example.com')!.profile.id).toBe('sales');
    expect(resolve('+15559999999')!.profile.id).toBe('front');
    const strict = loadAgents(agentsFolder({ 'a.yaml': minimal('sales', '["+15550100200"]') }), 'm');
    expect(strict.resolve('+15559999999')).toBeUndefined();
  });

  it('names the file and field of a mistake', () => {
    const dir = agentsFolder({ 'bad.yaml': 'id: Bad Id\nnumbers: []\ninstructions: x\nturnDetection:\n  type: server_vad\n  silenceDurationMs: 50\n' });
    let message = '';
    try {
      loadAgents(dir, 'm');
    } catch (err) {
      expect(err).toBeInstanceOf(AgentConfigError);
      message = (err as Error).message;
    }
    expect(message).toContain('bad.yaml');
    expect(message).toMatch(/id: use lower-case/);
    expect(message).toMatch(/numbers:/);
    expect(message).toMatch(/turnDetection\.silenceDurationMs/);
  });

  it('refuses two agents claiming one number', () => {
    const dir = agentsFolder({ 'a.yaml': minimal('a', '["100"]'), 'b.yaml': minimal('b', '["100"]') });
    expect(() => loadAgents(dir, 'm')).toThrow(/number 100 is already answered by agent a/);
  });

  it('reports a missing greeting recording by file name', () => {
    const dir = agentsFolder({
      'a.yaml': `${minimal('a', '["*"]')}greeting:\n  mode: file\n  path: nope.wav\n  transcript: Hello\n`,
    });
    expect(() => loadAgents(dir, 'm')).toThrow(/a\.yaml: greeting recording nope\.wav/);
    copyFileSync(join(SHIPPED_AGENTS, 'greeting.wav'), join(dir, 'nope.wav'));
    expect(loadAgents(dir, 'm').agents[0]!.greetingAudio).toBeDefined();
  });

  it('normalizes dialed numbers from SIP URIs and formatting', () => {
    expect(normalizeNumber('sip:+15550100@example.com;user=phone')).toBe('+15550100');
    expect(normalizeNumber(' +1 (555) 0100 ')).toBe('+15550100');
  });
});
