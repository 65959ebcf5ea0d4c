import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { AgentConfigError, loadAgents, normalizeNumber } from '../../src/agent/load-agents.js';
import { agentsFolder, loadFolder, minimalAgent, QWEN35 } from '../support/agent-folder.js';

const SHIPPED_AGENTS = fileURLToPath(new URL('../../config/agents', import.meta.url));

/** The loader's message for a folder that must not load. */
function loadError(files: Record<string, string>, env: NodeJS.ProcessEnv = {}): string {
  try {
    loadFolder(agentsFolder(files), { env });
  } catch (err) {
    expect(err).toBeInstanceOf(AgentConfigError);
    return (err as Error).message;
  }
  throw new Error('the folder loaded');
}

describe('the shipped agents', () => {
  it('load: the Acme support line with its FAQ file, tools, targets and keypad; sales with business hours', () => {
    const { agents, resolve, warnings } = loadFolder(SHIPPED_AGENTS);
    expect(warnings).toEqual([]);
    expect(agents.map((a) => a.profile.id)).toEqual(['after-hours', 'sales', 'support']);
    const support = resolve('+15550100')!;
    expect(support.profile.id).toBe('support');
    expect(support.profile.tools.map((t) => t.name)).toEqual(['end_call', 'transfer_call', 'collect_digits', 'lookup_order']);
    expect(support.profile.instructions).toMatch(/^You are the phone agent of Acme Outfitters/);
    expect(support.profile.instructions).toMatch(/Speak English on this call\.$/);
    const transfer = support.profile.tools.find((t) => t.name === 'transfer_call')!;
    expect(transfer.parameters).toMatchObject({ properties: { target: { enum: ['billing', 'sales', 'human'] } } });
    expect(support.greetingAudio?.sampleRateHz).toBe(8000);
    expect(support.greetingAudio!.pcm.length).toBeGreaterThan(8000);
  });
});

describe('agent file mistakes', () => {
  it('name the file, the field and the fix, for every file at once', () => {
    const message = loadError({
      'bad.yaml': 'id: Bad Id\nnumbers: ["*"]\ninstructions: x\nturnDetection:\n  type: server_vad\n  silenceDurationMs: 50\n',
      'worse.yaml': 'id: worse\nnumbers: ["+1555*0*"]\ninstructions: x\ninstructionsFile: y.md\n',
      'worst.yaml': 'id: worst\nvoice: 7\ninstructions: x\nfavouriteColour: blue\n',
    });
    expect(message).toContain('bad.yaml: id: use lower-case letters, digits, - and _');
    expect(message).toMatch(/bad\.yaml: turnDetection\.silenceDurationMs: .*200/);
    expect(message).toContain('worst.yaml: voice: Invalid input: expected string, received number');
    expect(message).toContain('worst.yaml: (top): Unrecognized key: "favouriteColour"');
    expect(message).toContain('worse.yaml: instructions: give either instructions (inline) or instructionsFile');
    expect(message).toContain('worse.yaml: numbers.0: +1555*0*: only one * is allowed, at the end ("+1555*")');
  });

  it('check the IVR fields against each other', () => {
    const message = loadError({
      'a.yaml': minimalAgent(
        'a',
        '["*"]',
        [
          'transfer:',
          '  targets:',
          '    billing: "sip:billing@pbx.example"',
          '    Sales: "+15550123"',
          'keypad:',
          '  "0": { action: transfer, target: human }',
          '  "12": { action: end_call }',
        ].join('\n'),
      ),
      // Shape errors: reported first (checks across fields run once the shape is right).
      'c.yaml': minimalAgent(
        'c',
        '["200"]',
        'transfer:\n  targets:\n    sales: "not a number"\nkeypad:\n  "5": { action: dance }\ntools: [end_call, hang_up]\n',
      ),
      'b.yaml': minimalAgent('b', '["100"]', 'tools: [transfer_call]\nbusinessHours:\n  timeZone: Mars/Olympus\n  weekly: { mon: ["17:00-09:00"], funday: [] }\n'),
    });
    expect(message).toContain('a.yaml: keypad.0.target: unknown target "human": use one of billing, Sales');
    expect(message).toContain('a.yaml: keypad.12: keys are single digits');
    expect(message).toContain('a.yaml: transfer.targets.Sales: name targets with lower-case letters');
    expect(message).toMatch(/c\.yaml: keypad\.5\.action: .*transfer.*end_call.*say/);
    expect(message).toContain('c.yaml: transfer.targets.sales: write a SIP URI');
    expect(message).toContain('c.yaml: tools.1: unknown built-in tool "hang_up": use end_call, transfer_call, collect_digits, or declare a webhook tool');
    expect(message).toContain('b.yaml: tools: transfer_call needs transfer.targets');
    expect(message).toContain('b.yaml: businessHours.timeZone: use an IANA time zone such as "America/New_York"');
    expect(message).toMatch(/b\.yaml: businessHours\.weekly: .*funday/);
    expect(message).toContain('b.yaml: businessHours.weekly.mon.0: "17:00-09:00": the end must be after the start');
    expect(message).toContain('b.yaml: afterHours: say what happens outside businessHours');
  });

  it('report webhook tool, YAML, instructions-file and recording problems by file', () => {
    const message = loadError({
      'hook.yaml': minimalAgent('hook', '["1"]', 'tools:\n  - name: lookup order\n    url: ftp://x\n    method: GET\n    retries: 9\n'),
      'yaml.yaml': 'id: [unclosed\n',
      'file.yaml': 'id: file\nnumbers: ["2"]\ninstructionsFile: missing.md\n',
      'wav.yaml': `${minimalAgent('wav', '["3"]')}greeting:\n  mode: file\n  path: nope.wav\n  transcript: Hello\n`,
    });
    expect(message).toContain('hook.yaml: tools.0.name: use letters, digits, _ and -');
    expect(message).toContain('hook.yaml: tools.0.description: ');
    expect(message).toContain('hook.yaml: tools.0.method: only POST is supported');
    expect(message).toMatch(/hook\.yaml: tools\.0\.retries: .*3/);
    expect(message).toMatch(/yaml\.yaml: not valid YAML/);
    expect(message).toContain('file.yaml: instructionsFile: cannot read missing.md (ENOENT)');
    expect(message).toContain('wav.yaml: greeting recording nope.wav');
  });

  it('refuse a webhook URL that is not http(s) once expanded, quoting the template only', () => {
    const hook = 'tools:\n  - name: lookup\n    description: d\n    url: "${HOOK_URL}"\n';
    const message = loadError({ 'a.yaml': minimalAgent('a', '["*"]', hook) }, { HOOK_URL: 'file:///etc/passwd' });
    expect(message).toContain('a.yaml: tools.0.url: "${HOOK_URL}" is not an http(s) URL once expanded');
    expect(message).not.toContain('passwd');
  });

  it('refuse duplicate ids, numbers claimed twice, unknown after-hours agents and agents nobody can reach', () => {
    const hours = 'businessHours:\n  timeZone: UTC\n  weekly: { mon: ["09:00-17:00"] }\nafterHours:\n  agent: ghost\n';
    const message = loadError({
      'a.yaml': minimalAgent('a', '["100", "+1555*"]'),
      'b.yaml': minimalAgent('b', '["1 0 0", "+1 555 *"]', hours),
      'c.yaml': minimalAgent('a', '["200"]'),
      'd.yaml': minimalAgent('d', '[]'),
    });
    expect(message).toContain('b.yaml: numbers.0: number 100 is already answered by agent a');
    expect(message).toContain('b.yaml: numbers.1: prefix +1555* is already answered by agent a');
    expect(message).toContain('c.yaml: id: "a" is already used by a.yaml');
    expect(message).toContain('b.yaml: afterHours.agent: no agent has id "ghost"');
    expect(message).toContain("d.yaml: numbers: this agent answers no number; list numbers, or name it in another agent's afterHours.agent");
  });

  it('refuse an agent in a region the bridge has no key for', () => {
    const dir = agentsFolder({ 'a.yaml': minimalAgent('a', '["*"]', 'region: beijing\n') });
    const withKeysFor = (...regions: Array<'singapore' | 'beijing'>) => () =>
      loadAgents(dir, { defaultModel: QWEN35, regions: new Set(regions), env: {}, logger: pino({ level: 'silent' }) });
    expect(withKeysFor('singapore', 'beijing')).not.toThrow();
    expect(withKeysFor('singapore')).toThrow('a.yaml: region: no API key for beijing; set DASHSCOPE_API_KEY_BEIJING');
  });
});

describe('number routing', () => {
  const set = () =>
    loadFolder(
      agentsFolder({
        'a-exact.yaml': minimalAgent('exact', '["+1 (555) 020-0100"]'),
        'b-short.yaml': minimalAgent('short', '["+1555*"]'),
        'c-long.yaml': minimalAgent('long', '["+155502*"]'),
        'd-regex.yaml': minimalAgent('uk', String.raw`['/^\+44\d{10}$/']`),
        'e-default.yaml': minimalAgent('front', '["*"]'),
      }),
    );

  it('tries exact numbers, then the longest prefix, then regexes, then "*"', () => {
    const { resolve } = set();
    expect(resolve('+15550200100')!.profile.id).toBe('exact');
    expect(resolve('sip:+15550200100@pbx.example.com;user=phone')!.profile.id).toBe('exact');
    expect(resolve('+15550200101')!.profile.id).toBe('long');
    expect(resolve('+15551234567')!.profile.id).toBe('short');
    expect(resolve('+442071234567')!.profile.id).toBe('uk');
    expect(resolve('+4420712345')!.profile.id).toBe('front'); // too short for the regex
    expect(resolve('+33123456789')!.profile.id).toBe('front');
  });

  it('answers nothing for an unknown number when no agent has "*"', () => {
    const { resolve } = loadFolder(agentsFolder({ 'a.yaml': minimalAgent('sales', '["+15550100200"]') }));
    expect(resolve('+15559999999')).toBeUndefined();
  });

  it('rejects a regex that does not compile', () => {
    expect(loadError({ 'a.yaml': minimalAgent('a', `['/^(+1/']`) })).toMatch(/a\.yaml: numbers\.0: \/\^\(\+1\/ is not a valid regular expression/);
  });

  it('normalizes dialed numbers from SIP URIs and formatting', () => {
    expect(normalizeNumber('sip:+15550100@example.com;user=phone')).toBe('+15550100');
    expect(normalizeNumber(' +1 (555) 0100 ')).toBe('+15550100');
  });
});

describe('models and tools', () => {
  it('leaves tools out, with a warning, for a model that cannot call them; the keypad still works', () => {
    const file = minimalAgent(
      'old',
      '["*"]',
      'model: qwen3-omni-flash-realtime\ntransfer:\n  targets:\n    human: "+15550123"\nkeypad:\n  "0": { action: transfer, target: human }\ntools: [end_call, transfer_call]\n',
    );
    const { resolve, warnings } = loadFolder(agentsFolder({ 'old.yaml': file }));
    const agent = resolve('1')!;
    expect(agent.profile.model).toBe('qwen3-omni-flash-realtime');
    expect(agent.profile.tools).toEqual([]);
    expect(warnings).toEqual([
      'old.yaml: model qwen3-omni-flash-realtime drops tools silently (only the qwen3.5 and qwen3.8 models call them): end_call, transfer_call left out; the keypad map still works',
    ]);
    // Its default voice is the family's, not qwen3.5's Tina.
    expect(agent.profile.voice).toBe('Cherry');
    const tools = agent.openTools({ callId: 'c', identity: { externalId: 'x', to: '1', transport: 'rtp', attributes: {} } });
    expect(tools.digits?.onDigit('0')).toMatchObject({ then: { action: 'transfer', destination: '+15550123' } });
  });

  it('keeps tools on qwen3.8-omni-flash-realtime, the Qwen team\'s default model', () => {
    const file = minimalAgent('new', '["*"]', 'model: qwen3.8-omni-flash-realtime\ntools: [end_call]\n');
    const { resolve, warnings } = loadFolder(agentsFolder({ 'new.yaml': file }));
    expect(resolve('1')!.profile.tools.map((t) => t.name)).toEqual(['end_call']);
    expect(resolve('1')!.profile.voice).toBe('Tina');
    expect(warnings).toEqual([]);
  });

  it('refuses a voice the model does not speak, naming the ones it does', () => {
    const file = minimalAgent('cherry', '["*"]', 'model: qwen3.5-omni-flash-realtime\nvoice: Cherry\n');
    const message = loadError({ 'cherry.yaml': file });
    expect(message).toContain('cherry.yaml: voice: voice "Cherry" is not one qwen3.5-omni-flash-realtime speaks');
    expect(message).toContain('Tina, Cindy');
  });

  it('loads a cloned-voice id with a warning', () => {
    const file = minimalAgent('clone', '["*"]', 'model: qwen3.5-omni-plus-realtime\nvoice: qwen-omni-vc-acme-1\n');
    const { resolve, warnings } = loadFolder(agentsFolder({ 'clone.yaml': file }));
    expect(resolve('1')!.profile.voice).toBe('qwen-omni-vc-acme-1');
    expect(warnings).toEqual(['clone.yaml: voice: voice qwen-omni-vc-acme-1 looks like a cloned-voice id; it must have been enrolled for qwen3.5-omni-plus-realtime']);
  });

  it('refuses semantic_vad on a model without it, and drops idleTimeoutMs there with a warning', () => {
    const semantic = minimalAgent('sem', '["*"]', 'model: qwen3-omni-flash-realtime\nturnDetection: { type: semantic_vad }\n');
    expect(loadError({ 'sem.yaml': semantic })).toContain('sem.yaml: turnDetection.type: semantic_vad is not available on qwen3-omni-flash-realtime');
    const idle = minimalAgent('idle', '["*"]', 'model: qwen-omni-turbo-realtime\nturnDetection: { type: server_vad, idleTimeoutMs: 10000 }\n');
    const { resolve, warnings } = loadFolder(agentsFolder({ 'idle.yaml': idle }));
    expect(resolve('1')!.profile.turnDetection).not.toHaveProperty('idleTimeoutMs');
    expect(warnings).toEqual(['idle.yaml: turnDetection.idleTimeoutMs: qwen-omni-turbo-realtime does not re-prompt a silent caller; left out']);
  });

  it('uses the default model unless the agent names one, and keeps region and language', () => {
    const { resolve } = loadFolder(
      agentsFolder({
        'a.yaml': minimalAgent('a', '["1"]'),
        'b.yaml': minimalAgent('b', '["2"]', 'model: qwen3.5-omni-plus-realtime\nregion: beijing\nlanguage: Spanish\n'),
      }),
      { defaultModel: 'qwen3.5-omni-flash-realtime' },
    );
    expect(resolve('1')!.profile).toMatchObject({ model: 'qwen3.5-omni-flash-realtime', instructions: 'Be brief.' });
    expect(resolve('1')!.profile.region).toBeUndefined();
    expect(resolve('2')!.profile).toMatchObject({
      model: 'qwen3.5-omni-plus-realtime',
      region: 'beijing',
      instructions: 'Be brief.\n\nSpeak Spanish on this call.',
    });
  });

  it('reads instructions from a file beside the agent file, and a greeting recording', () => {
    const dir = agentsFolder({ 'a.yaml': 'id: a\nnumbers: ["*"]\ninstructionsFile: prompts/a.md\ngreeting:\n  mode: file\n  path: hello.wav\n  transcript: Hello\n' });
    expect(() => loadFolder(dir)).toThrow(/a\.yaml: instructionsFile: cannot read prompts\/a\.md/);
    mkdirSync(join(dir, 'prompts'));
    writeFileSync(join(dir, 'prompts', 'a.md'), 'You sell boots.\n');
    copyFileSync(join(SHIPPED_AGENTS, 'greeting.wav'), join(dir, 'hello.wav'));
    const agent = loadFolder(dir).resolve('1')!;
    expect(agent.profile.instructions).toBe('You sell boots.');
    expect(agent.greetingAudio).toBeDefined();
  });
});
