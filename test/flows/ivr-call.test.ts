/**
 * IVR features through the whole bridge on 127.0.0.1: a Twilio-style fork call (no SIP REFER)
 * against the Qwen simulator, transferring through the agent's transfer webhook (a real HTTP
 * server), once because the model called transfer_call and once by the keypad, without the model.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { dtmf, say, silence, waitForAgentAudio, waitForAgentSilence } from '../../src/sim/caller/index.js';
import { agentsFolder } from '../support/agent-folder.js';
import { startBridge, type Bridge } from '../support/bridge-harness.js';
import { sendJson, startHttpStub, type HttpStub } from '../support/http-stub.js';

let bridge: Bridge | undefined;
let platform: HttpStub | undefined;
afterEach(async () => {
  await bridge?.close();
  await platform?.close();
  bridge = undefined;
  platform = undefined;
});

const agentFile = (webhookUrl: string): string => `
id: ivr
numbers: ["*"]
instructions: Help the caller.
greeting: { mode: model, instructions: Greet the caller. }
transfer:
  targets:
    billing: { to: "sip:billing@pbx.example", description: invoices }
    human: "sip:desk@pbx.example"
  webhook:
    url: ${webhookUrl}/transfer
    headers: { Authorization: "Bearer \${FLOW_TRANSFER_TOKEN:-flow-token}" }
keypad:
  "0": { action: transfer, target: human }
tools: [end_call, transfer_call]
`;

async function ivrBridge(): Promise<Bridge> {
  platform = await startHttpStub((_req, res) => sendJson(res, 200, { ok: true }));
  const dir = agentsFolder({ 'ivr.yaml': agentFile(platform.url) });
  return startBridge({
    configure: (config) => {
      config.agentsPath = dir;
    },
    sim: {
      script: {
        turns: [
          {
            callerTranscript: 'I have a question about my invoice.',
            reply: {
              toolCall: { name: 'transfer_call', arguments: { target: 'billing', reason: 'invoice question' } },
              afterTool: { text: "I'm putting you through to billing now." },
            },
          },
        ],
      },
    },
  });
}

describe('IVR on a fork call', () => {
  it('the model transfers with transfer_call: hand-off line, then the transfer webhook, then the call ends transferred', async () => {
    bridge = await ivrBridge();
    const caller = await bridge.caller();
    const report = await caller.run([waitForAgentAudio(), waitForAgentSilence(300), say('order-status'), silence(15_000)]);
    const record = await bridge.ended(1);
    expect(record).toMatchObject({ endReason: 'transferred', endDetail: 'billing' });
    expect(record.toolCalls.map((t) => t.name)).toEqual(['transfer_call']);
    expect(record.turns.at(-1)).toMatchObject({ role: 'agent', text: "I'm putting you through to billing now." });
    expect(record.turns.at(-1)).not.toHaveProperty('interrupted');
    expect(report.endedBy).toBe('bridge');
    expect(platform!.requests).toHaveLength(1);
    const request = platform!.requests[0]!;
    expect(request.path).toBe('/transfer');
    expect(request.headers.authorization).toBe('Bearer flow-token');
    expect(request.body).toEqual({
      callId: record.callId,
      externalId: record.identity.externalId,
      agentId: 'ivr',
      target: 'billing',
      destination: 'sip:billing@pbx.example',
    });
  }, 30_000);

  it('the keypad transfers on 0 without the model', async () => {
    bridge = await ivrBridge();
    const caller = await bridge.caller();
    await caller.run([waitForAgentAudio(), dtmf('0'), silence(5_000)]);
    const record = await bridge.ended(1);
    expect(record).toMatchObject({ endReason: 'transferred', endDetail: 'human', toolCalls: [] });
    expect(platform!.requests.map((r) => (r.body as { target: string }).target)).toEqual(['human']);
    const session = bridge.sim.sessions[0]!;
    // The model was asked for the greeting and nothing after the key press.
    expect(session.received.filter((e) => e.type === 'response.create')).toHaveLength(1);
  }, 30_000);
});
