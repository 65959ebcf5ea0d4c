/**
 * The jambonz application webhook through the whole bridge: jambonz POSTs the call, the bridge
 * answers with a `listen` verb, and a jambonz-like caller opens the stream exactly as that verb
 * says (URL, sub-protocol, HTTP Basic credentials, metadata) and gets an agent.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { silence, waitForAgentAudio } from '../../src/sim/caller/index.js';
import { SimulatedCaller } from '../../src/sim/caller/simulated-caller.js';
import { agentsFolder } from '../support/agent-folder.js';
import { startBridge, type Bridge } from '../support/bridge-harness.js';

let bridge: Bridge | undefined;
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
});

const AGENT = 'id: desk\nnumbers: ["+15550100"]\ninstructions: Help.\ngreeting: { mode: model, instructions: Greet. }\n';

async function jambonzBridge(): Promise<Bridge> {
  const dir = agentsFolder({ 'desk.yaml': AGENT });
  bridge = await startBridge({
    env: { PUBLIC_BASE_URL: 'wss://bridge.example.com' },
    configure: (config) => {
      config.agentsPath = dir;
    },
  });
  return bridge;
}

const basic = (password: string) => `Basic ${Buffer.from(`jambonz:${password}`).toString('base64')}`;

function postCall(b: Bridge, body: Record<string, string>, password = b.config.secrets.mediaToken!): Promise<Response> {
  return fetch(`http://127.0.0.1:${b.port}/jambonz/call`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basic(password) },
    body: JSON.stringify(body),
  });
}

const CALL = { call_sid: 'b5f4e0c2-jambonz', callSid: 'b5f4e0c2-jambonz', direction: 'inbound', from: '+15551230000', to: '+15550100' };

interface ListenVerb {
  verb: string;
  url: string;
  sampleRate: number;
  mixType: string;
  bidirectionalAudio: { enabled: boolean; streaming: boolean; sampleRate: number };
  metadata: Record<string, string>;
  wsAuth: { username: string; password: string };
  passDtmf: boolean;
}

describe('jambonz calling webhook', () => {
  it('answers with a listen verb: our wss URL, bidirectional streaming at the inbound rate, metadata with to, credentials', async () => {
    const b = await jambonzBridge();
    const res = await postCall(b, CALL);
    expect(res.status).toBe(200);
    const verbs = (await res.json()) as ListenVerb[];
    expect(verbs).toHaveLength(1);
    const listen = verbs[0]!;
    expect(listen).toMatchObject({
      verb: 'listen',
      url: 'wss://bridge.example.com/media/audio-fork',
      mixType: 'mono',
      sampleRate: 8000,
      bidirectionalAudio: { enabled: true, streaming: true, sampleRate: 8000 },
      passDtmf: true,
      metadata: { to: '+15550100', from: '+15551230000', callSid: 'b5f4e0c2-jambonz' },
      wsAuth: { username: 'jambonz', password: b.config.secrets.mediaToken },
    });

    // Open the stream as jambonz would with that verb (the URL's host mapped to this test's listener).
    const url = listen.url.replace('wss://bridge.example.com', `ws://127.0.0.1:${b.port}`);
    const caller = await SimulatedCaller.connect({
      url,
      dialect: 'audio_fork',
      headers: { authorization: basic(listen.wsAuth.password) },
      to: listen.metadata.to!,
      callSid: listen.metadata.callSid!,
      maxCallMs: 20_000,
    });
    await caller.run([waitForAgentAudio(), silence(200)]);
    const record = await b.ended(1);
    expect(record).toMatchObject({
      agentId: 'desk',
      identity: { transport: 'audio_fork', to: '+15550100', externalId: 'b5f4e0c2-jambonz' },
    });
  }, 20_000);

  it('declines a number no agent answers with sip:decline 404', async () => {
    const b = await jambonzBridge();
    const verbs = (await (await postCall(b, { ...CALL, to: '+15559999' })).json()) as unknown[];
    expect(verbs).toEqual([{ verb: 'sip:decline', status: 404, reason: 'Not Found' }]);
  });

  it('refuses a webhook without the media token (the answer would contain it)', async () => {
    const b = await jambonzBridge();
    const wrong = await postCall(b, CALL, 'not-the-token');
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).not.toContain(b.config.secrets.mediaToken!);
    const none = await fetch(`http://127.0.0.1:${b.port}/jambonz/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(none.status).toBe(401);
  });

  it('hangs up when the listen ends', async () => {
    const b = await jambonzBridge();
    const res = await fetch(`http://127.0.0.1:${b.port}/jambonz/listen-ended`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basic(b.config.secrets.mediaToken!) },
      body: JSON.stringify({ call_sid: CALL.call_sid }),
    });
    expect(await res.json()).toEqual([{ verb: 'hangup' }]);
  });
});
