/**
 * Each agent's model, voice, instructions and tools reach the service: the real Qwen client
 * against the simulator, which validates session.update the way the service does (tools only on
 * qwen3.5 models).
 */
import pino from 'pino';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { createQwenConnector } from '../../src/ai/qwen-session.js';
import { startQwenSimulator, type QwenSimulator } from '../../src/sim/qwen/server.js';
import { agentsFolder, loadFolder } from '../support/agent-folder.js';

let sim: QwenSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const PLUS = `
id: concierge
numbers: ["+15550300"]
model: qwen3.5-omni-plus-realtime
voice: Ethan
language: French
instructions: You are the concierge.
transfer:
  targets:
    desk: "sip:desk@pbx.example"
tools: [end_call, transfer_call, collect_digits]
`;
const OLDER = `
id: legacy
numbers: ["*"]
model: qwen3-omni-flash-realtime
voice: Cherry
instructions: You are the legacy line.
tools: [end_call]
`;

describe('per-agent model and session.update', () => {
  it('opens each call with its agent’s model, and sends tools only to a model that calls them', async () => {
    sim = await startQwenSimulator({ apiKey: 'sim-key' });
    const connect = createQwenConnector({
      url: sim.url,
      model: 'qwen3.5-omni-flash-realtime',
      apiKey: 'sim-key',
      logger: pino({ level: 'silent' }),
      createSocket: (url, headers) => new WebSocket(url, { headers }),
    });
    const { resolve, warnings } = loadFolder(agentsFolder({ 'concierge.yaml': PLUS, 'legacy.yaml': OLDER }));
    expect(warnings).toEqual([expect.stringContaining('legacy.yaml: model qwen3-omni-flash-realtime drops tools silently')]);

    const first = await connect(resolve('+15550300')!.profile, () => undefined, { callId: 'a' });
    const plus = sim.sessions[0]!;
    expect(plus.model).toBe('qwen3.5-omni-plus-realtime');
    expect(plus.config.voice).toBe('Ethan');
    expect(plus.config.instructions).toBe('You are the concierge.\n\nSpeak French on this call.');
    expect(plus.config.tools.map((t) => t.function.name)).toEqual(['end_call', 'transfer_call', 'collect_digits']);
    expect(plus.config.enable_search).toBe(false);

    const second = await connect(resolve('+15559999')!.profile, () => undefined, { callId: 'b' });
    const older = sim.sessions[1]!;
    expect(older.model).toBe('qwen3-omni-flash-realtime');
    expect(older.config.voice).toBe('Cherry');
    expect(older.config.tools).toEqual([]);
    first.close();
    second.close();
  });
});
