import { createHmac } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MediaEvent } from '../../src/call/media-leg.js';
import {
  startHarness,
  TestClient,
  TOKEN,
  twilioMedia,
  twilioStart,
  TWILIO_CALL_SID,
  TWILIO_STREAM_SID,
  until,
  type Harness,
} from './fork-harness.js';

// G.711 mu-law reference points: 0xFF and 0x7F are the two zeros, 0x80/0x00 the extremes.
const MULAW_BYTES = Buffer.from([0xff, 0x7f, 0x80, 0x00]);
const MULAW_AS_PCM = [0, 0, 32124, -32124];

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const types = (events: MediaEvent[]) => events.map((e) => e.type);

async function startedTwilioClient(streamSid = TWILIO_STREAM_SID): Promise<TestClient> {
  const before = h.calls.length;
  const client = await TestClient.open(h.url('/media/twilio'));
  client.sendJson({ event: 'connected', protocol: 'Call', version: '1.0.0' });
  client.sendJson(twilioStart({ streamSid }));
  await until(() => h.calls.length === before + 1, 'admission');
  return client;
}

describe('twilio dialect', () => {
  it('admits with the identity from start, decodes media, and encodes the leg commands', async () => {
    const client = await startedTwilioClient();
    const call = h.calls[0]!;
    expect(call.identity).toEqual({
      externalId: TWILIO_CALL_SID,
      to: '+15550001111',
      from: '+15559998888',
      transport: 'twilio',
      attributes: expect.objectContaining({ to: '+15550001111', streamSid: TWILIO_STREAM_SID }) as unknown,
    });
    expect(call.leg.sampleRateHz).toBe(8000);

    client.sendJson(twilioMedia(MULAW_BYTES));
    client.sendJson({ event: 'dtmf', streamSid: TWILIO_STREAM_SID, sequenceNumber: '3', dtmf: { track: 'inbound_track', digit: '7' } });
    await until(() => call.events.length === 2, 'audio and dtmf');
    expect(call.events[0]).toEqual({ type: 'audio', pcm: Int16Array.from(MULAW_AS_PCM) });
    expect(call.events[1]).toEqual({ type: 'dtmf', digit: '7' });

    call.leg.sendAudio(Int16Array.from([0, 32124, -32124, 0]));
    call.leg.mark?.('r1');
    call.leg.clear();
    await until(() => client.frames.length === 3, 'three frames at the client');
    expect(client.texts()).toEqual([
      { event: 'media', streamSid: TWILIO_STREAM_SID, media: { payload: Buffer.from([0xff, 0x80, 0x00, 0xff]).toString('base64') } },
      { event: 'mark', streamSid: TWILIO_STREAM_SID, mark: { name: 'r1' } },
      { event: 'clear', streamSid: TWILIO_STREAM_SID },
    ]);

    client.sendJson({ event: 'mark', streamSid: TWILIO_STREAM_SID, sequenceNumber: '4', mark: { name: 'r1' } });
    client.sendJson({ event: 'stop', streamSid: TWILIO_STREAM_SID, sequenceNumber: '5', stop: { callSid: TWILIO_CALL_SID } });
    await until(() => call.events.length === 4, 'mark and hangup');
    client.ws.close();
    await client.closed;
    await until(() => h.fork.counts().connections === 0, 'socket gone');
    expect(types(call.events)).toEqual(['audio', 'dtmf', 'mark', 'hangup']);
    expect(call.events[2]).toEqual({ type: 'mark', name: 'r1' });
  });

  it('ignores the outbound track of a both_tracks stream', async () => {
    const client = await startedTwilioClient();
    const call = h.calls[0]!;
    client.sendJson({ ...(twilioMedia(MULAW_BYTES) as object), media: { track: 'outbound', payload: MULAW_BYTES.toString('base64') } });
    client.sendJson(twilioMedia(MULAW_BYTES));
    // Frames of one socket are handled in order: once the mark is through, so is the outbound media.
    client.sendJson({ event: 'mark', streamSid: TWILIO_STREAM_SID, sequenceNumber: '4', mark: { name: 'after' } });
    await until(() => call.events.length === 2, 'inbound audio and the mark');
    expect(types(call.events)).toEqual(['audio', 'mark']);
  });

  it('a socket closed without stop is one hangup', async () => {
    const client = await startedTwilioClient();
    client.ws.terminate();
    const call = h.calls[0]!;
    await until(() => call.events.length === 1, 'hangup');
    expect(call.events[0]).toMatchObject({ type: 'hangup' });
  });

  it('leg.close from the call closes with 1000 and its reason, and reports nothing back', async () => {
    const client = await startedTwilioClient();
    const call = h.calls[0]!;
    call.leg.close('agent_hangup');
    call.leg.close('again');
    expect(await client.closed).toEqual({ code: 1000, reason: 'agent_hangup' });
    await until(() => h.fork.counts().connections === 0, 'socket gone');
    expect(call.events).toEqual([]);
  });

  it('SignalWire speaks the same dialect on its own path', async () => {
    const client = await TestClient.open(h.url('/media/signalwire'));
    client.sendJson(twilioStart());
    await until(() => h.calls.length === 1, 'admission');
    expect(h.calls[0]!.identity.externalId).toBe(TWILIO_CALL_SID);
  });
});

describe('audio-fork dialect', () => {
  const metadata = { callSid: 'jb-1', from: '15559998888', to: '15550001111', sampleRate: 16000, mixType: 'mono' };

  it('admits from metadata, carries odd bytes across frames, and streams L16 back at the same rate', async () => {
    const client = await TestClient.open(h.url('/media/audio-fork'), { protocols: ['audio.jambonz.org'] });
    expect(client.ws.protocol).toBe('audio.jambonz.org');
    client.ws.send(JSON.stringify(metadata));
    await until(() => h.calls.length === 1, 'admission');
    const call = h.calls[0]!;
    expect(call.identity).toMatchObject({ externalId: 'jb-1', to: '15550001111', from: '15559998888', transport: 'audio_fork' });
    expect(call.leg.sampleRateHz).toBe(16000);

    // Samples 0x0102 and -2 (0xfffe), split 3 + 1 bytes.
    client.ws.send(Buffer.from([0x02, 0x01, 0xfe]), { binary: true });
    client.ws.send(Buffer.from([0xff]), { binary: true });
    client.ws.send(JSON.stringify({ event: 'dtmf', dtmf: '9', duration: '1600' }));
    await until(() => call.events.length === 3, 'two audio events and a dtmf');
    expect(call.events).toEqual([
      { type: 'audio', pcm: Int16Array.from([0x0102]) },
      { type: 'audio', pcm: Int16Array.from([-2]) },
      { type: 'dtmf', digit: '9' },
    ]);

    call.leg.sendAudio(Int16Array.from([1, -2]));
    call.leg.clear();
    call.leg.mark?.('r9');
    await until(() => client.frames.length === 3, 'three frames at the client');
    expect(client.binaries()).toEqual([Buffer.from([0x01, 0x00, 0xfe, 0xff])]);
    expect(client.texts()).toEqual([{ type: 'killAudio' }, { type: 'mark', data: { name: 'r9' } }]);

    client.ws.send(JSON.stringify({ type: 'mark', data: { name: 'r9', event: 'cleared' } }));
    await until(() => call.events.length === 4, 'mark echo');
    client.ws.close();
    await until(() => call.events.length === 5, 'hangup');
    expect(call.events.slice(3)).toEqual([{ type: 'mark', name: 'r9' }, { type: 'hangup', detail: 'media socket closed (1005)' }]);
  });

  it.each([['audio.drachtio.org'], [undefined]])('accepts sub-protocol %s', async (protocol) => {
    const client = await TestClient.open(h.url('/media/audio-fork'), protocol === undefined ? {} : { protocols: [protocol] });
    expect(client.ws.protocol).toBe(protocol ?? '');
    client.ws.close();
    await client.closed;
  });
});

describe('authentication', () => {
  it('refuses upgrades without or with a wrong token with 401, before any call exists', async () => {
    expect(await TestClient.refusal(h.url('/media/twilio', null))).toBe(401);
    expect(await TestClient.refusal(h.url('/media/audio-fork', 'wrong'))).toBe(401);
    expect(await TestClient.refusal(h.url('/media/twilio', null), { authorization: 'Bearer wrong' })).toBe(401);
    expect(h.fork.counts().rejected.unauthorized).toBe(3);
    expect(h.fork.counts().connectionsTotal).toBe(0);
  });

  it('accepts the token in a header', async () => {
    const client = await TestClient.open(h.url('/media/twilio', null), { headers: { 'X-Bridge-Token': TOKEN } });
    const other = await TestClient.open(h.url('/media/audio-fork', null), { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(h.fork.counts().connections).toBe(2);
    client.ws.close();
    other.ws.close();
  });

  it('never logs the secret, even when a wrong one is presented next to the right one in the URL', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logged = await startHarness({ logger: pino({ level: 'debug' }, sink) });
    try {
      expect(await TestClient.refusal(`${logged.url('/media/twilio', 'wrong-guess')}&agent=a`)).toBe(401);
      const client = await TestClient.open(logged.url('/media/twilio'));
      client.sendJson(twilioStart());
      await until(() => logged.calls.length === 1, 'admission');
    } finally {
      await logged.close();
    }
    const all = lines.join('');
    expect(all).toContain('media upgrade refused');
    expect(all).toContain('token=[redacted]');
    expect(all).not.toContain('wrong-guess');
    expect(all).not.toContain(TOKEN);
  });

  it('never logs a token sent under another query name or in a long path segment, at debug level either', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logged = await startHarness({ logger: pino({ level: 'trace' }, sink) });
    const base = `ws://127.0.0.1:${logged.port}`;
    try {
      for (const name of ['access_token', 'Token', 'auth', 'key', 'apiKey']) {
        expect(await TestClient.refusal(`${base}/media/twilio?${name}=${TOKEN}`)).toBe(401);
      }
      expect(await TestClient.refusal(`${base}/media/${TOKEN}`)).toBe(404);
    } finally {
      await logged.close();
    }
    const all = lines.join('');
    expect(all).toContain('access_token=[redacted]');
    expect(all).toContain('upgrade for unknown path');
    expect(all).not.toContain(TOKEN);
  });

  it('answers 404 for paths that are not fork endpoints', async () => {
    expect(await TestClient.refusal(h.url('/media/unknown'))).toBe(404);
    expect(h.fork.counts().rejected.unknown_path).toBe(1);
  });

  describe('with a Twilio auth token configured', () => {
    let signed: Harness;
    beforeEach(async () => {
      signed = await startHarness({ twilioAuthToken: 'twilio-secret' });
    });
    afterEach(async () => {
      await signed.close();
    });

    const sign = (url: string) => createHmac('sha1', 'twilio-secret').update(url).digest('base64');

    it('accepts a valid X-Twilio-Signature without the bridge token', async () => {
      const path = '/media/twilio?agent=sales';
      const signature = sign(`wss://127.0.0.1:${signed.port}${path}`);
      const client = await TestClient.open(`ws://127.0.0.1:${signed.port}${path}`, { headers: { 'X-Twilio-Signature': signature } });
      // Opened (TestClient.open rejects on a refused upgrade), counted as accepted, no auth failure.
      expect(client.ws.readyState).toBe(client.ws.OPEN);
      expect(signed.fork.counts()).toMatchObject({ connections: 1, connectionsTotal: 1 });
      expect(Object.values(signed.fork.counts().authFailures).every((n) => n === 0)).toBe(true);
      client.ws.close();
      await client.closed;
    });

    it('refuses an invalid signature, and a valid one on a path that is not Twilio', async () => {
      const base = `ws://127.0.0.1:${signed.port}`;
      const bad = sign(`wss://127.0.0.1:${signed.port}/media/twilio?agent=other`);
      expect(await TestClient.refusal(`${base}/media/twilio?agent=sales`, { 'X-Twilio-Signature': bad })).toBe(401);
      const forFork = sign(`wss://127.0.0.1:${signed.port}/media/audio-fork`);
      expect(await TestClient.refusal(`${base}/media/audio-fork`, { 'X-Twilio-Signature': forFork })).toBe(401);
    });
  });
});

describe('bad input closes only that connection', () => {
  type Case = [name: string, send: (c: TestClient) => void, code: number, started: boolean];
  const cases: Case[] = [
    ['malformed JSON', (c) => c.ws.send('{"event": "media", '), 1007, false],
    ['binary on the Twilio dialect', (c) => c.ws.send(Buffer.from([1, 2, 3]), { binary: true }), 1003, false],
    ['JSON of the wrong shape', (c) => c.sendJson({ hello: 'world' }), 1007, false],
    ['an oversized frame', (c) => c.ws.send('x'.repeat(70 * 1024)), 1009, false],
    ['media before start', (c) => c.sendJson(twilioMedia(MULAW_BYTES)), 1008, false],
    ['media for another streamSid', (c) => c.sendJson(twilioMedia(MULAW_BYTES, 'MZother')), 1008, true],
    ['a second start', (c) => c.sendJson(twilioStart()), 1008, true],
    ['bad base64 after admission', (c) => c.sendJson({ event: 'media', streamSid: TWILIO_STREAM_SID, media: { payload: '@@' } }), 1007, true],
  ];

  it.each(cases)('%s', async (_name, send, code, started) => {
    const healthy = await startedTwilioClient('MZhealthy');
    const healthyCall = h.calls[0]!;
    const bad = started ? await startedTwilioClient() : await TestClient.open(h.url('/media/twilio'));
    send(bad);
    const closed = await bad.closed;
    expect(closed.code).toBe(code);
    if (code !== 1009) expect(closed.reason.length).toBeGreaterThan(0);
    expect(h.fork.counts().rejected.protocol_error).toBe(1);

    if (started) {
      const badCall = h.calls[1]!;
      await until(() => badCall.events.length > 0, 'protocol_error event');
      expect(types(badCall.events)).toEqual(['protocol_error']);
    }

    healthy.sendJson(twilioMedia(MULAW_BYTES, 'MZhealthy'));
    await until(() => healthyCall.events.length === 1, 'healthy stream still flowing');
    expect(healthy.ws.readyState).toBe(healthy.ws.OPEN);
    expect(healthyCall.events[0]?.type).toBe('audio');
  });

  it('an oversized frame after admission is reported to the call', async () => {
    const client = await startedTwilioClient();
    client.ws.send('x'.repeat(70 * 1024));
    expect((await client.closed).code).toBe(1009);
    await until(() => h.calls[0]!.events.length > 0, 'protocol_error');
    expect(types(h.calls[0]!.events)).toEqual(['protocol_error']);
  });

  it('audio before metadata on the audio-fork dialect', async () => {
    const client = await TestClient.open(h.url('/media/audio-fork'));
    client.ws.send(Buffer.alloc(320), { binary: true });
    expect((await client.closed).code).toBe(1008);
  });

  it('a refused call is closed with 4403 and the reason', async () => {
    h.refuseWith = 'no agent for +15550001111';
    const client = await TestClient.open(h.url('/media/twilio'));
    client.sendJson(twilioStart());
    expect(await client.closed).toEqual({ code: 4403, reason: 'no agent for +15550001111' });
    expect(h.fork.counts().rejected.admission_refused).toBe(1);
  });
});

describe('lifecycle', () => {
  it('closes a stream that never identifies its call', async () => {
    const quick = await startHarness({ startTimeoutMs: 100 });
    try {
      const silent = await TestClient.open(quick.url('/media/audio-fork'));
      const started = Date.now();
      expect((await silent.closed).code).toBe(4408);
      expect(Date.now() - started).toBeGreaterThanOrEqual(90);
      expect(quick.fork.counts().rejected.start_timeout).toBe(1);
    } finally {
      await quick.close();
    }
  });

  it('does not time out a stream that identified itself in time', async () => {
    const quick = await startHarness({ startTimeoutMs: 100 });
    try {
      const client = await TestClient.open(quick.url('/media/twilio'));
      client.sendJson(twilioStart());
      await until(() => quick.calls.length === 1, 'admission');
      // A stream opened later times out later (same limit; timers fire in order): once it has,
      // the first stream's limit has passed too.
      const later = await TestClient.open(quick.url('/media/twilio'));
      expect((await later.closed).code).toBe(4408);
      expect(client.ws.readyState).toBe(client.ws.OPEN);
      expect(quick.fork.counts().rejected.start_timeout).toBe(1);
    } finally {
      await quick.close();
    }
  });

  it('close() ends every stream with 1001, tells admitted calls, and counts down to zero', async () => {
    const client = await startedTwilioClient();
    const idle = await TestClient.open(h.url('/media/audio-fork'));
    expect(h.fork.counts()).toMatchObject({ connections: 2, connectionsTotal: 2 });
    await h.fork.close();
    expect((await client.closed).code).toBe(1001);
    expect((await idle.closed).code).toBe(1001);
    expect(h.fork.counts().connections).toBe(0);
    expect(types(h.calls[0]!.events)).toEqual(['hangup']);
  });
});
