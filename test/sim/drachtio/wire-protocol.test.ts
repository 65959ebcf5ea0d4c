/**
 * The simulator at the byte level, with a raw client: framing, control messages, frame layouts,
 * and the refusals drachtio-srf never provokes on its own (unknown transactions, bad lengths).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DrachtioServerSim, type InviteTransaction } from '../../../src/sim/drachtio/drachtio-server-sim.js';
import { RawApp, type ParsedFrame } from '../../sip/support/raw-app.js';
import { SipMessage, tagOf } from '../../../src/sim/drachtio/sip-message.js';
import { encodeFrame, FrameDecoder, FrameError } from '../../../src/sim/drachtio/wire-frame.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const STACK_TIME = /^\d\d:\d\d:\d\d\.\d{6}$/;
const SDP = 'v=0\r\no=- 1 1 IN IP4 192.0.2.20\r\ns=-\r\nc=IN IP4 192.0.2.20\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';

describe('frame decoding', () => {
  const stream = Buffer.concat([encodeFrame('a|ping'), encodeFrame('b|h\u00e9llo \u260e'), encodeFrame('c|route|invite')]);
  const expected = ['a|ping', 'b|h\u00e9llo \u260e', 'c|route|invite'];

  it('counts UTF-8 bytes, not characters', () => {
    expect(encodeFrame('\u260e').toString('utf8')).toBe('3#\u260e');
  });

  it('reassembles frames split at every byte, including inside a multi-byte character', () => {
    const decoder = new FrameDecoder();
    const bodies = [...stream].flatMap((byte) => decoder.push(Buffer.from([byte])));
    expect(bodies).toEqual(expected);
    expect(decoder.pendingBytes).toBe(0);
  });

  it('separates frames coalesced into one chunk', () => {
    expect(new FrameDecoder().push(stream)).toEqual(expected);
  });

  it('rejects a non-digit before # as soon as it arrives, and a sixth digit with the server limit', () => {
    expect(() => new FrameDecoder().push(Buffer.from('1a'))).toThrow(FrameError);
    expect(() => new FrameDecoder(5).push(Buffer.from('123456'))).toThrow(/more than 5 digits/);
    expect(new FrameDecoder(5).push(Buffer.from('12345'))).toEqual([]);
  });
});

let sim: DrachtioServerSim;
let app: RawApp;

beforeEach(async () => {
  sim = await DrachtioServerSim.start();
  app = await RawApp.connect(sim.port);
});

afterEach(async () => {
  app.close();
  await sim.close();
});

/** Route INVITEs to the raw app and deliver one call to it. */
async function inviteToApp(): Promise<{ invite: InviteTransaction; frame: ParsedFrame }> {
  await app.authenticate();
  app.send('route|invite');
  await app.next();
  const invite = sim.sendInvite({ from: 'sip:+15551230000@carrier.example', to: 'sip:+15557654321@bridge.example', sdp: SDP });
  return { invite, frame: await app.next() };
}

/** A minimal response, the way drachtio-srf writes one (lower-case names, no Via or tag). */
function minimalResponse(request: SipMessage, startLine: string, body = ''): string {
  return [
    startLine, `Call-ID: ${request.callId}`, `cseq: ${request.get('CSeq')!}`, `from: ${request.get('From')!}`,
    `to: ${request.get('To')!}`, `Content-Length: ${body.length}`, '', body,
  ].join('\r\n');
}

describe('the TCP connection', () => {
  it('handles a frame split across writes and two frames coalesced in one write', async () => {
    const auth = encodeFrame('m1|authenticate|cymru|');
    app.writeRaw(auth.subarray(0, 3));
    await new Promise((resolve) => setImmediate(resolve));
    app.writeRaw(auth.subarray(3));
    expect((await app.next()).fields.slice(1, 4)).toEqual(['response', 'm1', 'OK']);

    app.writeRaw(Buffer.concat([encodeFrame('m2|route|invite'), encodeFrame('m3|ping')]));
    expect((await app.next()).fields.slice(1)).toEqual(['response', 'm2', 'OK']);
    expect((await app.next()).fields.slice(1)).toEqual(['response', 'm3', 'OK', 'pong']);
  });

  it('drops the connection on a non-digit before #', async () => {
    app.writeRaw('12x#hello');
    await app.closed;
    expect(sim.connections[0]).toMatchObject({ closed: true, closeReason: expect.stringMatching(/^invalid frame: non-digit/) as unknown });
  });

  it('drops the connection on a length of more than five digits', async () => {
    app.writeRaw('100000#');
    await app.closed;
    expect(sim.connections[0]!.closeReason).toMatch(/more than 5 digits/);
  });
});

describe('control messages', () => {
  it('answers authenticate with hostports, version and local hostports', async () => {
    const msgId = app.send('authenticate|cymru|a,b');
    const reply = await app.next();
    expect(reply.fields[0]).toMatch(UUID);
    expect(reply.fields.slice(1)).toEqual(['response', msgId, 'OK', 'udp/192.0.2.10:5060', 'v0.9.3', 'udp/192.0.2.10:5060']);
    expect(sim.connections[0]!.tags).toEqual(['a', 'b']);
  });

  it('answers ping with pong', async () => {
    await app.authenticate();
    const msgId = app.send('ping');
    expect((await app.next()).fields.slice(1)).toEqual(['response', msgId, 'OK', 'pong']);
  });

  it('remove_route drops every route of the connection, not just the named verb (as drachtio-server does)', async () => {
    await app.authenticate();
    app.send('route|invite');
    app.send('route|options');
    await app.next();
    await app.next();
    const msgId = app.send('remove_route|options');
    expect((await app.next()).fields.slice(1)).toEqual(['response', msgId, 'OK']);

    expect(sim.connections[0]!.routes.size).toBe(0);
    const invite = sim.sendInvite({ from: 'sip:a@carrier.example', to: 'sip:b@bridge.example' });
    expect((await invite.finalResponse()).status).toBe(503);
  });

  it('refuses an unknown message type with NO and closes', async () => {
    await app.authenticate();
    const msgId = app.send('subscribe|everything');
    expect((await app.next()).fields.slice(1)).toEqual(['response', msgId, 'NO', 'Unknown message type']);
    await app.closed;
  });
});

describe('SIP frames', () => {
  it('delivers a new INVITE with the documented field layout and byte count', async () => {
    const { invite, frame } = await inviteToApp();
    const [uuid, type, source, bytes, proto, address, port, time, txnId, dialogId, recvAddr, recvPort, tail] = frame.fields;

    expect(uuid).toMatch(UUID);
    expect([type, source, proto, address, port]).toEqual(['sip', 'network', 'udp', '198.51.100.7', '5060']);
    expect(Number(bytes)).toBe(Buffer.byteLength(frame.sip));
    expect(time).toMatch(STACK_TIME);
    expect([txnId, dialogId, recvAddr, recvPort, tail]).toEqual([invite.txnId, '', '192.0.2.10', '5060', '']);
    expect(frame.sip).toBe(invite.request.toString());
  });

  it('completes a minimal 200 and echoes it with the dialog id', async () => {
    const { invite } = await inviteToApp();
    const msgId = app.send(`sip|${invite.txnId}|\r\n${minimalResponse(invite.request, 'SIP/2.0 200 OK', SDP)}`);
    const echo = await app.next();

    const callerTag = tagOf(invite.request.get('From')!)!;
    const dialogId = `${invite.request.callId};from-tag=${callerTag}`;
    expect(echo.fields.slice(1, 5)).toEqual(['response', msgId, 'OK', 'application']);
    expect(Number(echo.fields[5])).toBe(Buffer.byteLength(echo.sip));
    expect(echo.fields.slice(6, 9)).toEqual(['udp', '198.51.100.7', '5060']);
    expect(echo.fields[9]).toMatch(STACK_TIME);
    expect(echo.fields.slice(10)).toEqual([invite.txnId, dialogId, '', 'Msg sent:', '']);

    const sent = SipMessage.parse(echo.sip);
    expect(sent.headers.map((h) => h.name)).toEqual(['Via', 'From', 'To', 'Call-ID', 'CSeq', 'Contact', 'Content-Type', 'Content-Length']);
    expect(tagOf(sent.get('To')!)).toMatch(/^[0-9a-f]{12}$/);
    expect(sent.get('Content-Length')).toBe(String(Buffer.byteLength(SDP)));
    expect(sent.toString()).toBe(invite.responses.at(-1)!.toString());
    expect(sim.activeDialogs.map((d) => d.id)).toEqual([dialogId]);
  });

  it('keeps a To-tag the app chose', async () => {
    const { invite } = await inviteToApp();
    const minimal = SipMessage.parse(minimalResponse(invite.request, 'SIP/2.0 180 Ringing'));
    minimal.set('To', `${invite.request.get('To')!};tag=app-chosen`);
    app.send(`sip|${invite.txnId}|\r\n${minimal.toString()}`);
    expect(tagOf(SipMessage.parse((await app.next()).sip).get('To')!)).toBe('app-chosen');
  });

  it('refuses responses to unknown transactions, with the CANCEL case worded as the server does', async () => {
    const { invite } = await inviteToApp();
    const ok = minimalResponse(invite.request, 'SIP/2.0 200 OK');
    const first = app.send(`sip|no-such-txn|\r\n${ok}`);
    expect((await app.next()).fields.slice(1)).toEqual(['response', first, 'NOK', 'Response not sent due to unknown transaction']);

    const toCancel = ok.replace('cseq: 1 INVITE', 'cseq: 1 CANCEL');
    const second = app.send(`sip|no-such-txn|\r\n${toCancel}`);
    expect((await app.next()).fields.slice(1)).toEqual([
      'response', second, 'NOK', '200 OK to incoming CANCEL is automatically generated by the stack',
    ]);
  });

  it('refuses a response without a transaction id with NO and closes', async () => {
    const { invite } = await inviteToApp();
    const msgId = app.send(`sip||\r\n${minimalResponse(invite.request, 'SIP/2.0 200 OK')}`);
    expect((await app.next()).fields.slice(1)).toEqual(['response', msgId, 'NO', 'transaction id missing']);
    await app.closed;
  });

  it('refuses an in-dialog request for a dialog it does not know', async () => {
    await app.authenticate();
    const msgId = app.send('sip||nope;from-tag=x\r\nBYE sip:placeholder SIP/2.0\r\nContent-Length: 0\r\n\r\n');
    expect((await app.next()).fields.slice(1)).toEqual([
      'response', msgId, 'NOK', 'Server error: unable to find dialog for dialog id provided',
    ]);
  });

  it('echoes an in-dialog request with a fresh transaction id, then delivers the network\'s answer', async () => {
    const { invite } = await inviteToApp();
    app.send(`sip|${invite.txnId}|\r\n${minimalResponse(invite.request, 'SIP/2.0 200 OK', SDP)}`);
    await app.next();
    const dialog = await invite.answered();

    const msgId = app.send(`sip||${dialog.id}\r\nBYE sip:placeholder SIP/2.0\r\nContent-Length: 0\r\n\r\n`);
    const echo = await app.next();
    const bye = await sim.appRequest('BYE');
    expect(echo.fields.slice(1, 5)).toEqual(['response', msgId, 'OK', 'application']);
    expect(echo.fields.slice(10)).toEqual([bye.txnId, 'Msg sent:', '']);
    expect(bye.txnId).not.toBe(invite.txnId);
    expect(SipMessage.parse(echo.sip).startLine).toBe('BYE sip:+15551230000@198.51.100.7:5060 SIP/2.0');

    sim.respondTo(bye, 200);
    const answer = await app.next();
    expect(answer.fields.slice(1, 3)).toEqual(['sip', 'network']);
    expect(answer.fields.slice(8)).toEqual([bye.txnId, dialog.id, '']);
    expect(SipMessage.parse(answer.sip).startLine).toBe('SIP/2.0 200 OK');
    expect(sim.activeDialogs).toHaveLength(0);
    expect(() => sim.respondTo(bye, 200)).toThrow(/already has a final response/);
  });

  it('completes an app\'s out-of-dialog request and routes the answer back without a dialog id', async () => {
    await app.authenticate();
    app.send('sip||\r\nOPTIONS sip:carrier.example SIP/2.0\r\nContent-Length: 0\r\n\r\n');
    const echo = SipMessage.parse((await app.next()).sip);
    expect(echo.get('To')).toBe('<sip:carrier.example>');
    expect(tagOf(echo.get('From')!)).toBeDefined();
    expect(echo.get('CSeq')).toBe('1 OPTIONS');

    const options = await sim.appRequest('OPTIONS');
    sim.respondTo(options, 200);
    const answer = await app.next();
    expect(answer.fields.slice(8)).toEqual([options.txnId, '', '']);
  });
});
