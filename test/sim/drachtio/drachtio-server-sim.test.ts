/**
 * The real drachtio-srf against the drachtio-server simulator over TCP on 127.0.0.1: proves the
 * simulator speaks the protocol srf expects, and pins down the srf behaviour the SIP adapter
 * relies on (events, dialog ids, rejections, CANCEL races, reconnects).
 */
import type { EventEmitter } from 'node:events';
import type Srf from 'drachtio-srf';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DrachtioServerSim, type InviteTransaction, type SimDialog } from '../../../src/sim/drachtio/drachtio-server-sim.js';
import { tagOf } from '../../../src/sim/drachtio/sip-message.js';
import { asSrfDialog, nextEvent, SrfFixture, type SrfDialog } from '../../sip/support/srf-harness.js';

const CALLER = '"Alice" <sip:+15551230000@carrier.example>';
const CALLED = 'sip:+15557654321@bridge.example';

function sdp(address: string, direction = 'sendrecv', version = 1): string {
  return [
    'v=0', `o=- 4242 ${version} IN IP4 ${address}`, 's=-', `c=IN IP4 ${address}`, 't=0 0',
    'm=audio 40000 RTP/AVP 0 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000',
    `a=${direction}`, '',
  ].join('\r\n');
}

const OFFER = sdp('198.51.100.7');
const ANSWER = sdp('192.0.2.20');

let sim: DrachtioServerSim;
let fixture: SrfFixture;

beforeEach(async () => {
  sim = await DrachtioServerSim.start();
  fixture = new SrfFixture(sim);
});

afterEach(async () => {
  await fixture.cleanup();
  await sim.close();
});

interface Answered {
  srf: Srf;
  invite: InviteTransaction;
  dialog: SimDialog;
  uas: SrfDialog;
  req: Srf.SrfRequest;
}

/** One app that answers every INVITE with createUAS, and one call it answered (ACKed). */
async function answeredCall(): Promise<Answered> {
  let answered!: Promise<{ uas: SrfDialog; req: Srf.SrfRequest }>;
  const srf = await fixture.connected((s) => {
    s.invite((req, res) => {
      answered = s.createUAS(req, res, { localSdp: ANSWER }).then((d) => ({ uas: asSrfDialog(d), req }));
    });
  });
  await sim.waitForRoute('invite');
  const invite = sim.sendInvite({ from: CALLER, to: CALLED, sdp: OFFER });
  const dialog = await invite.answered();
  const { uas, req } = await answered;
  const acked = nextEvent(uas, 'ack');
  sim.sendAck(dialog);
  await acked;
  return { srf, invite, dialog, uas, req };
}

/** What the apps sent, without the per-frame message ids. */
function appFrames(): string[] {
  return sim.frames.filter((f) => f.direction === 'from-app').map((f) => f.body.split('|').slice(1).join('|'));
}

describe('connecting to the simulator', () => {
  it('authenticates with the right secret and reports the server endpoints and version', async () => {
    const srf = fixture.create(['bridge', 'pool-a']);
    const outcome = await fixture.connect(srf);

    expect(outcome).toEqual({
      err: null,
      hostport: 'udp/192.0.2.10:5060',
      serverVersion: 'v0.9.3',
      localHostports: 'udp/192.0.2.10:5060',
    });
    const [connection] = sim.connections;
    expect(connection).toMatchObject({ authenticated: true, tags: ['bridge', 'pool-a'], closed: false });
    expect(sim.frames[0]!.body).toMatch(/^[0-9a-f-]{36}\|authenticate\|cymru\|bridge,pool-a$/);
  });

  it('rejects a wrong secret: srf emits connect with an error and the server closes the socket', async () => {
    const srf = fixture.create();
    const closed = nextEvent(srf as EventEmitter, 'close');
    // maxAttempts 1: srf would otherwise reconnect (and fail to authenticate) forever.
    const outcome = await fixture.connect(srf, { secret: 'wrong', reconnect: { maxAttempts: 1 } });

    expect(outcome.err).toBeInstanceOf(Error);
    expect(outcome.err!.message).toBe('failed to authenticate to server');
    await closed;
    expect(sim.connections[0]).toMatchObject({ authenticated: false, closed: true, closeReason: 'incorrect secret' });
    expect(sim.frames.at(-1)!.body).toMatch(/\|response\|[0-9a-f-]{36}\|NO\|incorrect secret$/);
  });

  it('registers a route for each method the app handles once authenticated', async () => {
    await fixture.connected((s) => {
      s.invite(() => undefined);
      s.use('options', () => undefined);
    });
    const [connection] = await sim.waitForRoute('options');
    expect([...connection!.routes].sort()).toEqual(['invite', 'options']);
    expect(appFrames()).toEqual(['authenticate|cymru|', 'route|invite', 'route|options']);
  });

  it('re-sends every route when a handler is added after connecting, so the server lists the app twice', async () => {
    const srf = await fixture.connected((s) => s.invite(() => undefined));
    await sim.waitForRoute('invite');

    srf.use('info', () => undefined);
    await sim.waitForRoute('info');
    // srf never records that a route was sent, so each new route repeats all earlier ones.
    expect(appFrames()).toEqual(['authenticate|cymru|', 'route|invite', 'route|invite', 'route|info']);
    expect(sim.routedConnections('invite').map((c) => c.id)).toEqual([1, 1]);
  });

  it('answers 503 itself when no app routed the method, and the app never sees the request', async () => {
    const srf = await fixture.connected((s) => s.use('options', (_req, res) => res.send(200)));
    let invited = 0;
    srf.use((_req, _res, next) => {
      invited++;
      (next as () => void)();
    });
    await sim.waitForRoute('options');

    const invite = sim.sendInvite({ from: CALLER, to: CALLED, sdp: OFFER });
    expect((await invite.finalResponse()).status).toBe(503);
    expect(invite.responses.map((r) => r.status)).toEqual([100, 503]);
    expect(invite.app).toBeUndefined();
    expect(sim.sipLog.filter((r) => r.direction === 'to-app')).toHaveLength(0);
    expect(invited).toBe(0);
  });

  it('answers 481 itself to a new INVITE with a To-tag it does not know', async () => {
    await fixture.connected((s) => s.invite((_req, res) => res.send(486)));
    await sim.waitForRoute('invite');
    const invite = sim.sendInvite({ from: CALLER, to: `<${CALLED}>;tag=stale`, sdp: OFFER });
    expect((await invite.finalResponse()).status).toBe(481);
    expect(invite.app).toBeUndefined();
  });
});

describe('an incoming call', () => {
  it('is answered by createUAS: the echoed 200 has To-tag, Contact and SDP, and the Dialog has the drachtio id', async () => {
    const { invite, dialog, uas, req } = await answeredCall();

    const ok = invite.responses.at(-1)!;
    expect(invite.responses.map((r) => r.status)).toEqual([100, 200]);
    expect(tagOf(ok.get('To')!)).toBe(uas.sip.localTag);
    expect(ok.get('Contact')).toBe('<sip:192.0.2.10:5060>');
    expect(ok.get('Content-Type')).toBe('application/sdp');
    expect(ok.body).toBe(ANSWER);
    expect(ok.get('Via')).toBe(invite.request.get('Via'));

    const callerTag = tagOf(invite.request.get('From')!)!;
    expect(uas.id).toBe(`${invite.request.callId};from-tag=${callerTag}`);
    expect(uas.id).toBe(dialog.id);
    expect(uas.sip).toEqual({ callId: invite.request.callId, localTag: dialog.app.tag, remoteTag: callerTag });
    expect(uas.local).toMatchObject({ uri: 'sip:192.0.2.10:5060', sdp: ANSWER });
    expect(uas.remote).toEqual({ uri: 'sip:+15551230000@198.51.100.7:5060', sdp: OFFER });

    expect(req.callingNumber).toBe('+15551230000');
    expect(req.calledNumber).toBe('+15557654321');
    expect(req.get('Call-ID')).toBe(invite.request.callId);
    expect(req).toMatchObject({ source_address: '198.51.100.7', protocol: 'udp', receivedOn: '192.0.2.10:5060' });
  });

  it('sends provisional responses with the same To-tag as the answer', async () => {
    await fixture.connected((s) => {
      s.invite((req, res) => {
        res.send(180);
        void s.createUAS(req, res, { localSdp: ANSWER });
      });
    });
    await sim.waitForRoute('invite');
    const invite = sim.sendInvite({ from: CALLER, to: CALLED, sdp: OFFER });
    await invite.answered();

    expect(invite.responses.map((r) => r.startLine)).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 180 Ringing', 'SIP/2.0 200 OK']);
    const [, ringing, ok] = invite.responses;
    expect(tagOf(ringing!.get('To')!)).toBe(tagOf(ok!.get('To')!));
    expect(ringing!.has('Contact')).toBe(false);
  });

  it.each([
    [486, 'Busy Here'],
    [503, 'Service Unavailable'],
    [404, 'Not Found'],
    [488, 'Not Acceptable Here'],
  ])('is rejected with %i and the network sees that final response', async (status, reason) => {
    await fixture.connected((s) => s.invite((_req, res) => res.send(status)));
    await sim.waitForRoute('invite');
    const invite = sim.sendInvite({ from: CALLER, to: CALLED, sdp: OFFER });

    const final = await invite.finalResponse();
    expect(final.startLine).toBe(`SIP/2.0 ${status} ${reason}`);
    expect(tagOf(final.get('To')!)).toBeDefined();
    expect(final.has('Contact')).toBe(false);
    await expect(invite.answered()).rejects.toThrow(`${status}`);
    expect(sim.activeDialogs).toHaveLength(0);
  });

  it('carries a custom reason phrase and extra headers on a rejection', async () => {
    await fixture.connected((s) => s.invite((_req, res) => res.send(503, 'Max Calls', { headers: { 'Retry-After': '30' } })));
    await sim.waitForRoute('invite');
    const final = await sim.sendInvite({ from: CALLER, to: CALLED, sdp: OFFER }).finalResponse();
    expect(final.startLine).toBe('SIP/2.0 503 Max Calls');
    expect(final.get('Retry-After')).toBe('30');
  });
});

describe('CANCEL', () => {
  it('while the app prepares its answer: req emits cancel, the stack answered 200/487, createUAS rejects with the server\'s text', async () => {
    let request!: Srf.SrfRequest;
    let uas!: Promise<Srf.Dialog>;
    let releaseSdp!: (sdp: string) => void;
    let invited!: () => void;
    const inviteSeen = new Promise<void>((resolve) => (invited = resolve));
    await fixture.connected((s) => {
      s.invite((req, res) => {
        request = req;
        // localSdp may be a function (answer SDP made asynchronously); the .d.ts only admits a string.
        const localSdp = (() => new Promise<string>((resolve) => (releaseSdp = resolve))) as unknown as string;
        uas = s.createUAS(req, res, { localSdp });
        uas.catch(() => undefined);
        invited();
      });
    });
    await sim.waitForRoute('invite');
    const invite = sim.sendInvite({ from: CALLER, to: CALLED, sdp: OFFER });
    await inviteSeen;

    const cancelled = nextEvent(request as unknown as EventEmitter, 'cancel');
    const cancelReply = sim.sendCancel(invite);
    const [cancel] = (await cancelled) as [Srf.SipMessage];
    expect(cancelReply.status).toBe(200);
    expect(invite.responses.map((r) => r.status)).toEqual([100, 487]);
    expect(cancel.get('CSeq')).toBe('1 CANCEL');
    const delivered = sim.frames.filter((f) => f.direction === 'to-app').at(-1)!.body;
    expect(delivered.split('|').slice(8, 10)).toEqual([invite.txnId, invite.dialogId]);

    // createUAS only listens for 'cancel' once the SDP is ready, so it never sees this one: it
    // sends the 200 anyway and rejects with the server's NOK text — a string, not a SipError.
    releaseSdp(ANSWER);
    await expect(uas).rejects.toBe('Response not sent due to unknown transaction');
    expect((request as unknown as { canceled?: boolean }).canceled).toBeUndefined();
    expect(invite.responses.map((r) => r.status)).toEqual([100, 487]);
    expect(sim.activeDialogs).toHaveLength(0);
  });

  it('crossing the app\'s 200 on the wire: srf emits no cancel, createUAS rejects with the server\'s text', async () => {
    let uas!: Promise<Srf.Dialog>;
    let cancelEvents = 0;
    await fixture.connected((s) => {
      s.invite((req, res) => {
        req.on('cancel', () => cancelEvents++);
        uas = s.createUAS(req, res, { localSdp: ANSWER });
        uas.catch(() => undefined);
      });
    });
    await sim.waitForRoute('invite');

    sim.holdAppFrames();
    const invite = sim.sendInvite({ from: CALLER, to: CALLED, sdp: OFFER });
    await sim.waitForHeldFrames(1); // the app's 200, sent but not yet seen by the server
    sim.sendCancel(invite);
    sim.releaseAppFrames();

    // srf forgets the INVITE the moment it sends a final response, so the CANCEL matches nothing.
    await expect(uas).rejects.toBe('Response not sent due to unknown transaction');
    expect(cancelEvents).toBe(0);
    expect(invite.finalStatus).toBe(487);
    expect(invite.responses.map((r) => r.status)).toEqual([100, 487]);
    expect(sim.activeDialogs).toHaveLength(0);
  });
});

describe('an established call', () => {
  it('ends when the caller hangs up: dialog emits destroy and srf answers the BYE with 200', async () => {
    const { dialog, uas } = await answeredCall();
    const destroyed = nextEvent(uas, 'destroy');

    const bye = sim.sendBye(dialog);
    const [req, reason] = (await destroyed) as [Srf.SrfRequest, string];

    expect(req.method).toBe('BYE');
    expect(reason).toBe('normal release');
    expect((await bye.finalResponse()).status).toBe(200);
    expect(uas.connected).toBe(false);
    expect(sim.activeDialogs).toHaveLength(0);
  });

  it('ends when the app hangs up: dialog.destroy() resolves only after the network answers the BYE', async () => {
    const { dialog, uas, invite } = await answeredCall();
    let settled = false;
    const destroyed = uas.destroy({ headers: { Reason: 'Q.850;cause=16;text="session limit"' } }).finally(() => {
      settled = true;
    });

    const bye = await sim.appRequest('BYE');
    expect(bye.message.startLine).toBe('BYE sip:+15551230000@198.51.100.7:5060 SIP/2.0');
    expect(bye.message.get('From')).toBe(invite.responses.at(-1)!.get('To'));
    expect(bye.message.get('To')).toBe(invite.request.get('From'));
    expect(bye.message.get('CSeq')).toBe('1 BYE');
    expect(bye.message.get('Reason')).toBe('Q.850;cause=16;text="session limit"');
    expect(bye.dialog).toBe(dialog);
    expect(settled).toBe(false);

    sim.respondTo(bye, 200);
    const sent = await destroyed;
    expect(sent.method).toBe('BYE');
    expect(uas.connected).toBe(false);
    expect(sim.activeDialogs).toHaveLength(0);
  });

  it('transfers with REFER: 202, then the NOTIFY with a sipfrag reaches the dialog', async () => {
    const { dialog, uas } = await answeredCall();
    const accepted = uas.request({
      method: 'REFER',
      headers: { 'Refer-To': '<sip:agent@pbx.example.com>', 'Referred-By': uas.local.uri },
    });

    const refer = await sim.appRequest('REFER');
    expect(refer.message.get('Refer-To')).toBe('<sip:agent@pbx.example.com>');
    expect(refer.message.get('Referred-By')).toBe('sip:192.0.2.10:5060');
    sim.respondTo(refer, 202);
    expect((await accepted).status).toBe(202);

    const notified = nextEvent(uas, 'notify');
    const notify = sim.sendNotify(dialog, 'SIP/2.0 200 OK');
    const [req, res] = (await notified) as [Srf.SrfRequest, Srf.SrfResponse];
    expect(req.get('Event')).toBe('refer');
    expect(req.get('Content-Type')).toBe('message/sipfrag;version=2.0');
    expect(req.body).toBe('SIP/2.0 200 OK');
    res.send(200);
    expect((await notify.finalResponse()).status).toBe(200);
  });

  it('answers a hold re-INVITE with 200 and its own SDP turned recvonly', async () => {
    const { dialog, uas } = await answeredCall();
    const held = nextEvent(uas, 'hold');

    const reinvite = sim.sendReInvite(dialog, OFFER.replace('a=sendrecv', 'a=sendonly'));
    await held;
    const ok = await reinvite.finalResponse();

    expect(ok.status).toBe(200);
    expect(ok.get('Content-Type')).toBe('application/sdp');
    expect(ok.body).toBe(ANSWER.replace('a=sendrecv', 'a=recvonly'));
    expect(ok.get('CSeq')).toBe('2 INVITE');
    expect(uas.onHold).toBe(true);
    const acked = nextEvent(uas, 'ack');
    sim.sendAck(dialog);
    await acked;
  });

  it('sends a re-INVITE for dialog.modify and ACKs the 200 inside the dialog', async () => {
    const { uas, invite } = await answeredCall();
    const modified = uas.modify('hold');

    const reinvite = await sim.appRequest('INVITE');
    expect(reinvite.message.startLine).toBe('INVITE sip:+15551230000@198.51.100.7:5060 SIP/2.0');
    expect(reinvite.message.get('CSeq')).toBe('1 INVITE');
    expect(reinvite.message.get('Contact')).toBe(invite.responses.at(-1)!.get('Contact'));
    expect(reinvite.message.body).toBe(ANSWER.replace('a=sendrecv', 'a=inactive'));

    sim.respondTo(reinvite, 200, { body: OFFER.replace('a=sendrecv', 'a=recvonly') });
    expect(await modified).toBe(OFFER.replace('a=sendrecv', 'a=recvonly'));
    const ack = await sim.until(
      () => sim.sipLog.find((r) => r.direction === 'to-network' && r.message.method === 'ACK')?.message,
      'the app\'s ACK',
    );
    expect(ack.get('CSeq')).toBe('1 ACK');
  });

  it('delivers SIP INFO (DTMF) to the dialog', async () => {
    const { dialog, uas } = await answeredCall();
    const info = nextEvent(uas, 'info');
    const txn = sim.sendInfo(dialog, 'Signal=5\r\nDuration=160\r\n');
    const [req, res] = (await info) as [Srf.SrfRequest, Srf.SrfResponse];
    expect(req.get('Content-Type')).toBe('application/dtmf-relay');
    expect(req.body).toContain('Signal=5');
    res.send(200);
    expect((await txn.finalResponse()).status).toBe(200);
  });
});

describe('out-of-dialog requests', () => {
  it('answers OPTIONS from the network through srf', async () => {
    await fixture.connected((s) => s.use('options', (_req, res) => res.send(200, { headers: { Allow: 'INVITE, ACK, BYE, CANCEL, OPTIONS' } })));
    await sim.waitForRoute('options');
    const options = sim.sendOptions();
    const ok = await options.finalResponse();
    expect(ok.status).toBe(200);
    expect(ok.get('Allow')).toBe('INVITE, ACK, BYE, CANCEL, OPTIONS');
    expect(tagOf(ok.get('To')!)).toBeDefined();
    expect(options.dialogId).toBe('');
  });
});

describe('several apps and reconnects', () => {
  it('shares new INVITEs round-robin across two connected srf instances', async () => {
    const answeredBy: string[] = [];
    const app = (name: string) => (s: Srf) => {
      s.invite((_req, res) => {
        answeredBy.push(name);
        res.send(486);
      });
    };
    await fixture.connected(app('a'));
    await fixture.connected(app('b'));
    await sim.waitForRoute('invite', 2);

    const finals: number[] = [];
    for (let i = 0; i < 4; i++) {
      finals.push((await sim.sendInvite({ from: CALLER, to: CALLED, sdp: OFFER }).finalResponse()).status);
    }
    expect(finals).toEqual([486, 486, 486, 486]);
    expect(answeredBy).toEqual(['a', 'b', 'a', 'b']);
    expect(sim.networkRequests.map((t) => t.app!.id)).toEqual([1, 2, 1, 2]);
  });

  it('reconnects after the connection drops, re-sends its routes and takes calls again', async () => {
    const srf = fixture.create();
    srf.invite((req, res) => void srf.createUAS(req, res, { localSdp: ANSWER }));
    await fixture.connect(srf, { reconnect: { retryMaxDelay: 50 } });
    await sim.waitForRoute('invite');

    const reconnecting = nextEvent(srf as EventEmitter, 'reconnecting');
    const reconnected = nextEvent(srf as EventEmitter, 'connect');
    expect(sim.dropConnections()).toBe(1);
    const [progress] = (await reconnecting) as [{ delay: number; attempt: number }];
    expect(progress).toEqual({ delay: 50, attempt: 2 });
    const [err] = await reconnected;
    expect(err).toBeNull();

    const [connection] = await sim.waitForRoute('invite');
    expect(connection!.id).toBe(2);
    expect(sim.connections[0]).toMatchObject({ closed: true, closeReason: 'dropped' });
    const dialog = await sim.sendInvite({ from: CALLER, to: CALLED, sdp: OFFER }).answered();
    expect(dialog.owner).toBe(connection);
  });
});

describe('drachtio-srf behaviour the SIP adapter must guard against', () => {
  it('createUAS on an INVITE without Contact rejects, yet still answers 200 (the caller is left connected)', async () => {
    let uas!: Promise<Srf.Dialog>;
    await fixture.connected((s) => {
      s.invite((req, res) => {
        uas = s.createUAS(req, res, { localSdp: ANSWER });
        uas.catch(() => undefined);
      });
    });
    await sim.waitForRoute('invite');
    const invite = sim.sendInvite({ from: CALLER, to: CALLED, sdp: OFFER, contact: null });

    expect((await invite.finalResponse()).status).toBe(200);
    await expect(uas).rejects.toThrow('createUAS: Request is missing Contact header');
    expect(sim.activeDialogs).toHaveLength(1);
  });

  it('dialog.request resolves with the first response, even a provisional one', async () => {
    const { uas } = await answeredCall();
    const response = uas.request({ method: 'REFER', headers: { 'Refer-To': '<sip:agent@pbx.example.com>' } });
    sim.respondTo(await sim.appRequest('REFER'), 100);
    expect((await response).status).toBe(100);
  });

  it('after a reconnect, dialogs of the old connection are dead on both sides', async () => {
    let answered!: Promise<SrfDialog>;
    const srf = fixture.create();
    srf.invite((req, res) => {
      answered = srf.createUAS(req, res, { localSdp: ANSWER }).then(asSrfDialog);
    });
    await fixture.connect(srf, { reconnect: { retryMaxDelay: 20 } });
    await sim.waitForRoute('invite');
    const dialog = await sim.sendInvite({ from: CALLER, to: CALLED, sdp: OFFER }).answered();
    const uas = await answered;

    const reconnected = nextEvent(srf as EventEmitter, 'connect');
    sim.dropConnections();
    await reconnected;

    // srf still holds the dialog on its dead socket; the server will not route its BYE to the new one.
    await expect(uas.destroy()).rejects.toMatchObject({ code: 'ESOCKETDESTROYED' });
    expect(sim.sendBye(dialog).app).toBeUndefined();
  });
});
