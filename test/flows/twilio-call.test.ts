/**
 * Twilio end to end on 127.0.0.1, with local fakes of Twilio's HTTP side: the voice webhook
 * (signed form POST → TwiML), the media stream opened with Twilio's signature and no query
 * string (the default path), and a transfer through Twilio's REST API (a fake api.twilio.com),
 * falling back to the agent's transfer webhook without account credentials.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { dtmf, silence, waitForAgentAudio } from '../../src/sim/caller/index.js';
import { SimulatedCaller } from '../../src/sim/caller/simulated-caller.js';
import { twilioSignature } from '../../src/twilio/signature.js';
import { agentsFolder } from '../support/agent-folder.js';
import { startBridge, type Bridge } from '../support/bridge-harness.js';
import { sendJson, startHttpStub, type HttpStub } from '../support/http-stub.js';

const AUTH_TOKEN = 'twilio-auth-token-for-tests';
/** The account the simulated caller's start message names. */
const ACCOUNT_SID = 'ACsimulated0000000000000000000000';
const PUBLIC = 'wss://bridge.example.com';

let bridge: Bridge | undefined;
const stubs: HttpStub[] = [];
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
  for (const stub of stubs.splice(0)) await stub.close();
});

const agent = (transferWebhook?: string): string => `
id: desk
numbers: ["+15550100"]
instructions: Help the caller.
greeting: { mode: model, instructions: Greet the caller. }
transfer:
  timeoutMs: 8000
  targets:
    human: "+15550199"
${transferWebhook ? `  webhook: { url: "${transferWebhook}" }` : ''}
keypad:
  "0": { action: transfer, target: human }
`;

async function twilioBridge(opts: { accountSid?: boolean; apiBaseUrl?: string; transferWebhook?: string } = {}): Promise<Bridge> {
  const dir = agentsFolder({ 'desk.yaml': agent(opts.transferWebhook) });
  bridge = await startBridge({
    env: {
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      PUBLIC_BASE_URL: PUBLIC,
      ...(opts.accountSid ? { TWILIO_ACCOUNT_SID: ACCOUNT_SID } : {}),
    },
    configure: (config) => {
      config.agentsPath = dir;
      if (opts.apiBaseUrl) config.twilio.apiBaseUrl = opts.apiBaseUrl;
    },
  });
  return bridge;
}

/** Twilio's webhook request: form parameters, signed over the public https URL. */
function postVoice(b: Bridge, params: Record<string, string>, signature?: string): Promise<Response> {
  const form = new URLSearchParams(params);
  const sig = signature ?? twilioSignature(AUTH_TOKEN, 'https://bridge.example.com/twilio/voice', Object.entries(params));
  return fetch(`http://127.0.0.1:${b.port}/twilio/voice`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': sig },
    body: form.toString(),
  });
}

const CALL = { CallSid: `CA${'1'.repeat(32)}`, AccountSid: ACCOUNT_SID, From: '+15551230000', To: '+15550100', Direction: 'inbound' };

/** Connect the way Twilio does after that TwiML: the stream URL as given, signed, no token. */
function twilioStream(b: Bridge, extra: { to?: string } = {}): Promise<SimulatedCaller> {
  return SimulatedCaller.connect({
    url: `ws://127.0.0.1:${b.port}/media/twilio`,
    headers: { 'x-twilio-signature': twilioSignature(AUTH_TOKEN, `${PUBLIC}/media/twilio`) },
    to: extra.to ?? '+15550100',
    from: '+15551230000',
    maxCallMs: 30_000,
  });
}

describe('Twilio voice webhook', () => {
  it('answers a signed webhook with <Connect><Stream> to the public wss URL, no query string, numbers as <Parameter>s', async () => {
    const b = await twilioBridge();
    const res = await postVoice(b, CALL);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/xml/);
    const twiml = await res.text();
    expect(twiml).toContain('<Connect><Stream url="wss://bridge.example.com/media/twilio">');
    expect(twiml).not.toMatch(/url="[^"]*\?/);
    expect(twiml).toContain('<Parameter name="to" value="+15550100"/>');
    expect(twiml).toContain('<Parameter name="from" value="+15551230000"/>');
    expect(twiml).not.toContain(b.config.secrets.mediaToken!);
  });

  it('refuses a webhook without a valid signature (403), or signed over other parameters', async () => {
    const b = await twilioBridge();
    expect((await postVoice(b, CALL, 'bm90IGEgc2lnbmF0dXJl')).status).toBe(403);
    const signedForOther = twilioSignature(
      AUTH_TOKEN,
      'https://bridge.example.com/twilio/voice',
      Object.entries({ ...CALL, To: '+15550999' }),
    );
    expect((await postVoice(b, CALL, signedForOther)).status).toBe(403);
    const unsigned = await fetch(`http://127.0.0.1:${b.port}/twilio/voice`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(CALL).toString(),
    });
    expect(unsigned.status).toBe(403);
  });

  it('rejects a call to a number no agent answers, before any stream exists', async () => {
    const b = await twilioBridge();
    const twiml = await (await postVoice(b, { ...CALL, To: '+15559999' })).text();
    expect(twiml).toContain('<Reject reason="rejected"/>');
    expect(twiml).not.toContain('<Stream');
  });
});

describe('Twilio media stream', () => {
  it('is admitted on Twilio’s signature alone (the default path): the call runs, the dialed number picks the agent', async () => {
    const b = await twilioBridge();
    const caller = await twilioStream(b);
    const report = await caller.run([waitForAgentAudio(), silence(300)]);
    expect(report.endedBy).toBe('caller');
    const record = await b.ended(1);
    expect(record).toMatchObject({ agentId: 'desk', endReason: 'caller_hangup' });
    expect(record.identity).toMatchObject({ to: '+15550100', from: '+15551230000', transport: 'twilio' });
  }, 20_000);

  it('refuses a stream signed with another auth token', async () => {
    const b = await twilioBridge();
    await expect(
      SimulatedCaller.connect({
        url: `ws://127.0.0.1:${b.port}/media/twilio`,
        headers: { 'x-twilio-signature': twilioSignature('someone-else', `${PUBLIC}/media/twilio`) },
        to: '+15550100',
      }),
    ).rejects.toThrow(/401/);
  });
});

describe('Twilio transfer', () => {
  it('updates the call with <Dial> through the REST API; Twilio ending the stream first is still a transfer', async () => {
    const streams: SimulatedCaller[] = [];
    const api = await startHttpStub((_req, res) => {
      // Twilio leaves <Connect> at once: our stream stops before the API's answer arrives.
      void streams[0]!.hangup();
      setTimeout(() => sendJson(res, 200, { sid: CALL.CallSid, status: 'in-progress' }), 200);
    });
    stubs.push(api);
    const b = await twilioBridge({ accountSid: true, apiBaseUrl: api.url });
    const caller = await twilioStream(b);
    streams.push(caller);
    await caller.run([waitForAgentAudio(), dtmf('0'), silence(3_000)]).catch(() => undefined);
    const record = await b.ended(1);
    expect(record).toMatchObject({ endReason: 'transferred', endDetail: 'human' });
    expect(record.transfers).toEqual([expect.objectContaining({ target: 'human', destination: '+15550199', outcome: 'transferred' })]);

    expect(api.requests).toHaveLength(1);
    const request = api.requests[0]!;
    expect(request.method).toBe('POST');
    expect(request.path).toBe(`/2010-04-01/Accounts/${ACCOUNT_SID}/Calls/${record.identity.externalId}.json`);
    expect(request.headers.authorization).toBe(`Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`);
    const twiml = new URLSearchParams(request.body as string).get('Twiml');
    expect(twiml).toContain('<Dial timeout="8"><Number>+15550199</Number></Dial>');
  }, 20_000);

  it('keeps the call when Twilio refuses the update, and records the status', async () => {
    const api = await startHttpStub((_req, res) =>
      sendJson(res, 404, { code: 20404, message: 'The requested resource was not found', status: 404 }),
    );
    stubs.push(api);
    const b = await twilioBridge({ accountSid: true, apiBaseUrl: api.url });
    const caller = await twilioStream(b);
    await caller.run([waitForAgentAudio(), dtmf('0'), silence(1_000)]);
    const record = await b.ended(1);
    expect(record.endReason).toBe('caller_hangup');
    expect(record.transfers).toEqual([
      expect.objectContaining({ outcome: 'failed', status: 404, reason: 'Twilio answered 404 (error 20404)' }),
    ]);
  }, 20_000);

  it('falls back to the agent’s transfer webhook without TWILIO_ACCOUNT_SID', async () => {
    const webhook = await startHttpStub((_req, res) => sendJson(res, 200, { ok: true }));
    stubs.push(webhook);
    const b = await twilioBridge({ transferWebhook: `${webhook.url}/transfer` });
    const caller = await twilioStream(b);
    await caller.run([waitForAgentAudio(), dtmf('0'), silence(3_000)]);
    const record = await b.ended(1);
    expect(record.endReason).toBe('transferred');
    expect(webhook.requests.map((r) => r.path)).toEqual(['/transfer']);
  }, 20_000);
});
