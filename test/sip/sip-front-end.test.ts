/**
 * The SIP front end with the real drachtio-srf against the drachtio-server simulator, and a
 * real RTP peer on 127.0.0.1. The call core is replaced by a recording admission, so these tests
 * read as SIP: INVITE in, status or 200+SDP out; BYE, CANCEL, re-INVITE, INFO, REFER.
 */
import type { EventEmitter } from 'node:events';
import Srf from 'drachtio-srf';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MediaEvent, MediaLeg } from '../../src/call/media-leg.js';
import type { RejectReason } from '../../src/call/registry.js';
import { startSipFrontEnd, type SipFrontEnd } from '../../src/sip/sip-front-end.js';
import { asSrfApp } from '../../src/sip/srf-shapes.js';
import type { SipCallLeg } from '../../src/sip/sip-call-leg.js';
import { parseRtp } from '../../src/sip/rtp/rtp-packet.js';
import { RtpPeer, waitUntil } from './rtp/rtp-peer.js';
import { DrachtioServerSim, type InviteTransaction } from '../../src/sim/drachtio/drachtio-server-sim.js';

const CALLER = '"Alice" <sip:+15551230000@carrier.example>';
const CALLED = 'sip:+15550100@bridge.example';

function offer(rtpPort: number, opts: { codecs?: string; direction?: string; address?: string } = {}): string {
  const codecs = opts.codecs ?? '0 8 101';
  const maps: Record<string, string> = { '0': 'a=rtpmap:0 PCMU/8000', '8': 'a=rtpmap:8 PCMA/8000', '18': 'a=rtpmap:18 G729/8000', '101': 'a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16' };
  const address = opts.address ?? '127.0.0.1';
  return [
    'v=0', `o=carrier 1000 1 IN IP4 ${address}`, 's=call', `c=IN IP4 ${address}`, 't=0 0',
    `m=audio ${rtpPort} RTP/AVP ${codecs}`, ...codecs.split(' ').map((pt) => maps[pt] ?? ''), 'a=ptime:20',
    `a=${opts.direction ?? 'sendrecv'}`, '',
  ].join('\r\n');
}

interface Admitted {
  to: string;
  externalId: string;
  leg: SipCallLeg;
  events: MediaEvent[];
}

let sim: DrachtioServerSim;
let srf: Srf;
let front: SipFrontEnd;
let peer: RtpPeer;
let admitted: Admitted[];
let refusal: RejectReason | undefined;
/** When set, admission answers this later (as a cluster's seat does) instead of admitting. */
let seatRefusal: string | undefined;
let portBase = 43000;
/** Each test runs with RTP in the worker thread (the default) and on the main thread (the fallback). */
let sendThread: 'worker' | 'main' = 'worker';

async function start(opts: { allowFrom?: string[]; busyStatus?: 486 | 503 } = {}): Promise<void> {
  srf = new Srf();
  // Each test gets its own RTP port range so parallel test files never collide.
  portBase += 20;
  front = startSipFrontEnd({
    srf: asSrfApp(srf),
    drachtio: { host: '127.0.0.1', port: sim.port, secret: 'cymru', reconnectMaxDelayMs: 200 },
    allowFrom: opts.allowFrom ?? ['0.0.0.0/0'],
    busyStatus: opts.busyStatus ?? 486,
    rtp: { bindAddress: '127.0.0.1', advertisedAddress: '127.0.0.1', portMin: portBase, portMax: portBase + 19, idleAudio: 'none', sendThread },
    refusal: () => refusal,
    admit: (identity, leg: MediaLeg) => {
      if (seatRefusal !== undefined) return Promise.resolve({ accepted: false as const, reason: seatRefusal });
      const entry: Admitted = { to: identity.to, externalId: identity.externalId, leg: leg as SipCallLeg, events: [] };
      admitted.push(entry);
      return { accepted: true, onEvent: (event) => entry.events.push(event) };
    },
    logger: pino({ level: 'silent' }),
  });
  await front.link.connected;
  await sim.waitForRoute('invite');
}

beforeEach(async () => {
  sim = await DrachtioServerSim.start();
  peer = await RtpPeer.open();
  admitted = [];
  refusal = undefined;
  seatRefusal = undefined;
});

afterEach(async () => {
  for (const call of admitted) call.leg.close('test over');
  const closed = new Promise((resolve) => (srf as unknown as EventEmitter).once('close', resolve));
  await front.close();
  await closed;
  peer.close();
  await sim.close();
});

async function answeredCall(sdp = offer(peer.address.port)): Promise<{ invite: InviteTransaction; answer: string; call: Admitted }> {
  const invite = sim.sendInvite({ from: CALLER, to: CALLED, sdp });
  const dialog = await invite.answered();
  sim.sendAck(dialog);
  const answer = (await invite.finalResponse()).body;
  await waitUntil(() => admitted.length > 0, 'admission');
  const call = admitted[admitted.length - 1]!;
  await waitUntil(() => call.leg.answered, 'dialog bound');
  return { invite, answer, call };
}

describe.each(['worker', 'main'] as const)('SIP front end, RTP on the %s thread', (thread) => {
  beforeEach(() => {
    sendThread = thread;
  });

  it('says which thread runs RTP', async () => {
    await start();
    expect(front.rtp.thread).toBe(thread);
    expect(await front.rtp.inspect()).toMatchObject({ thread, streams: 0 });
  });

  it('answers an INVITE with PCMU (the caller’s first choice) and telephone-event, and sends paced RTP', async () => {
    await start();
    const { invite, answer, call } = await answeredCall();
    expect(call.to).toBe('+15550100');
    expect(call.externalId).toBe(invite.request.get('Call-ID'));
    expect(answer).toMatch(/^m=audio \d+ RTP\/AVP 0 101\r$/m);
    expect(answer).toContain('a=rtpmap:0 PCMU/8000');
    expect(answer).toContain('a=ptime:20');
    expect(answer).toContain('c=IN IP4 127.0.0.1');

    for (let i = 0; i < 10; i++) call.leg.sendAudio(new Int16Array(160).fill(1000));
    await waitUntil(() => peer.received.length >= 10, '10 RTP packets', 2_000);
    const packets = peer.received.slice(0, 10);
    expect(packets.every((p) => p.packet.payloadType === 0)).toBe(true);
    expect(packets[0]!.packet.marker).toBe(true);
    for (let i = 1; i < packets.length; i++) {
      expect((packets[i]!.packet.sequenceNumber - packets[i - 1]!.packet.sequenceNumber + 65536) % 65536).toBe(1);
      expect(packets[i]!.packet.timestamp - packets[i - 1]!.packet.timestamp).toBe(160);
    }
    // Paced, not a burst (the exact grid is the RTP leg's own test, under fake timers).
    const spanMs = packets[9]!.atMs - packets[0]!.atMs;
    expect(spanMs).toBeGreaterThan(150);
  });

  it('prefers PCMA when the carrier lists it first', async () => {
    await start();
    const { answer } = await answeredCall(offer(peer.address.port, { codecs: '8 0 101' }));
    expect(answer).toMatch(/^m=audio \d+ RTP\/AVP 8 101\r$/m);
  });

  it('refuses with the right status and never admits the call', async () => {
    await start({ allowFrom: ['127.0.0.0/8', '198.51.100.0/24'] });
    const statuses: number[] = [];
    for (const [why, expected] of [['unknown_number', 404], ['capacity', 486], ['draining', 503]] as const) {
      refusal = why;
      const invite = sim.sendInvite({ from: CALLER, to: CALLED, sdp: offer(peer.address.port) });
      statuses.push((await invite.finalResponse()).status);
      expect(statuses.at(-1)).toBe(expected);
    }
    refusal = undefined;
    const g729 = sim.sendInvite({ from: CALLER, to: CALLED, sdp: offer(peer.address.port, { codecs: '18' }) });
    expect((await g729.finalResponse()).status).toBe(488);
    const garbage = sim.sendInvite({ from: CALLER, to: CALLED, sdp: 'this is not sdp' });
    expect((await garbage.finalResponse()).status).toBe(400);
    const noSdp = sim.sendInvite({ from: CALLER, to: CALLED });
    expect((await noSdp.finalResponse()).status).toBe(488);
    const noContact = sim.sendInvite({ from: CALLER, to: CALLED, sdp: offer(peer.address.port), contact: null });
    expect((await noContact.finalResponse()).status).toBe(400);
    expect(admitted).toHaveLength(0);
  });

  it('refuses a call the model quota cannot seat with the busy status (503 when the count cannot be taken), freeing its RTP port', async () => {
    await start();
    // As many refusals as the range has ports (10 pairs): each must give its port back.
    seatRefusal = 'model_quota';
    for (let i = 0; i < 10; i++) {
      const full = await sim.sendInvite({ from: CALLER, to: CALLED, sdp: offer(peer.address.port) }).finalResponse();
      expect(full.status).toBe(486);
    }
    seatRefusal = 'seats_unavailable';
    const unknown = await sim.sendInvite({ from: CALLER, to: CALLED, sdp: offer(peer.address.port) }).finalResponse();
    expect(unknown.status).toBe(503);
    seatRefusal = undefined;
    const { answer } = await answeredCall();
    expect(answer).toMatch(/m=audio \d+ RTP\/AVP/);
    expect(admitted).toHaveLength(1);
  });

  it('refuses INVITEs from sources outside the allow-list with 403', async () => {
    await start({ allowFrom: ['10.0.0.0/8'] });
    const invite = sim.sendInvite({ from: CALLER, to: CALLED, sdp: offer(peer.address.port) });
    expect((await invite.finalResponse()).status).toBe(403);
    expect(admitted).toHaveLength(0);
  });

  it('offers 503 instead of 486 when configured, and Retry-After when draining', async () => {
    await start({ busyStatus: 503 });
    refusal = 'capacity';
    expect((await sim.sendInvite({ from: CALLER, to: CALLED, sdp: offer(peer.address.port) }).finalResponse()).status).toBe(503);
    refusal = 'draining';
    const draining = await sim.sendInvite({ from: CALLER, to: CALLED, sdp: offer(peer.address.port) }).finalResponse();
    expect(draining.get('Retry-After')).toBe('30');
  });

  it('turns the caller’s BYE into one hangup event, and sends no BYE of its own afterwards', async () => {
    await start();
    const { invite, call } = await answeredCall();
    const bye = sim.sendBye(invite.dialog!);
    expect((await bye.finalResponse()).status).toBe(200);
    await waitUntil(() => call.events.some((e) => e.type === 'hangup'), 'hangup event');
    call.leg.close('caller_hangup');
    // A BYE would leave at close(); the answer to a later OPTIONS follows it on the same connection.
    expect((await sim.sendOptions().finalResponse()).status).toBe(200);
    expect(sim.appRequests.filter((r) => r.method === 'BYE')).toHaveLength(0);
    expect(front.rtpPortsInUse()).toBe(0);
  });

  it('hangs up with BYE carrying the end reason when the call ends on our side', async () => {
    await start();
    const { call } = await answeredCall();
    call.leg.close('max_duration');
    const bye = await sim.appRequest('BYE');
    expect(bye.message.get('Reason')).toBe('Q.850;cause=16;text="max_duration"');
    sim.respondTo(bye, 200);
    expect(front.rtpPortsInUse()).toBe(0);
  });

  it('a CANCEL that wins the race against our 200 OK ends the admitted call and frees its port', async () => {
    await start();
    sim.holdAppFrames();
    const invite = sim.sendInvite({ from: CALLER, to: CALLED, sdp: offer(peer.address.port) });
    await waitUntil(() => admitted.length === 1, 'admission');
    await sim.waitForHeldFrames(1);
    expect(sim.sendCancel(invite).status).toBe(200);
    sim.releaseAppFrames();
    expect((await invite.finalResponse()).status).toBe(487);
    const call = admitted[0]!;
    await waitUntil(() => call.events.some((e) => e.type === 'hangup'), 'hangup after cancel');
    call.leg.close('caller_hangup');
    expect(front.rtpPortsInUse()).toBe(0);
  });

  it('answers a hold re-INVITE (sendonly → recvonly), reports hold, and repeats its answer on a refresh', async () => {
    await start();
    const { invite, answer, call } = await answeredCall();
    const refresh = sim.sendReInvite(invite.dialog!, offer(peer.address.port));
    const refreshed = await refresh.finalResponse();
    expect(refreshed.status).toBe(200);
    expect(refreshed.body).toBe(answer);

    const hold = sim.sendReInvite(invite.dialog!, offer(peer.address.port, { direction: 'sendonly' }));
    const held = await hold.finalResponse();
    expect(held.status).toBe(200);
    expect(held.body).toContain('a=recvonly');
    expect(held.body).not.toBe(answer);
    expect(call.events).toContainEqual({ type: 'hold', held: true });

    const resume = await sim.sendReInvite(invite.dialog!, offer(peer.address.port)).finalResponse();
    expect(resume.body).toContain('a=sendrecv');
    expect(call.events).toContainEqual({ type: 'hold', held: false });
  });

  it('delivers SIP INFO and RFC 4733 digits as dtmf events', async () => {
    await start();
    const { invite, answer, call } = await answeredCall();
    await sim.sendInfo(invite.dialog!, 'Signal=5\r\nDuration=160\r\n').finalResponse();
    const ourPort = Number(/^m=audio (\d+)/m.exec(answer)![1]);
    const event = (digit: number, end: boolean) => new Uint8Array([digit, end ? 0x80 : 0, 0, 160]);
    for (const [i, end] of [false, false, true, true, true].entries()) {
      await peer.sendRtp(
        { payloadType: 101, sequenceNumber: 100 + i, timestamp: 8000, ssrc: 0x1234, marker: i === 0 },
        event(9, end),
        { address: '127.0.0.1', port: ourPort },
      );
    }
    await waitUntil(() => call.events.filter((e) => e.type === 'dtmf').length === 2, 'two digits');
    expect(call.events.filter((e) => e.type === 'dtmf')).toEqual([
      { type: 'dtmf', digit: '5' },
      { type: 'dtmf', digit: '9' },
    ]);
  });

  it('transfers by REFER and reports the target’s final status from NOTIFY', async () => {
    await start();
    const { invite, call } = await answeredCall();
    const done = call.leg.transfer('sip:agent@pbx.example');
    const refer = await sim.appRequest('REFER');
    expect(refer.message.get('Refer-To')).toBe('<sip:agent@pbx.example>');
    // The target sees which of our numbers handed the call over, not a bare host.
    expect(refer.message.get('Referred-By')).toMatch(/^<sip:\+15550100@[^>]+>$/);
    sim.respondTo(refer, 202);
    sim.sendNotify(invite.dialog!, 'SIP/2.0 100 Trying', { subscriptionState: 'active' });
    sim.sendNotify(invite.dialog!, 'SIP/2.0 200 OK');
    await expect(done).resolves.toEqual({ ok: true });
  });

  it('reports a failed transfer (target busy, or REFER refused) so the conversation can go on', async () => {
    await start();
    const { invite, call } = await answeredCall();
    const busy = call.leg.transfer('+15550199');
    const refer = await sim.appRequest('REFER');
    expect(refer.message.get('Refer-To')).toBe('<sip:+15550199@198.51.100.7:5060>');
    sim.respondTo(refer, 202);
    sim.sendNotify(invite.dialog!, 'SIP/2.0 486 Busy Here');
    await expect(busy).resolves.toMatchObject({ ok: false, status: 486 });

    const refused = call.leg.transfer('sip:agent@pbx.example');
    sim.respondTo(await sim.appRequest('REFER', 2), 403);
    await expect(refused).resolves.toMatchObject({ ok: false, status: 403 });
    expect(call.events.some((e) => e.type === 'hangup')).toBe(false);
  });

  it('has no transfer time limit of its own: a NOTIFY 200 forty seconds later still completes it', async () => {
    await start();
    const { invite, call } = await answeredCall();
    const done = call.leg.transfer('sip:agent@pbx.example');
    sim.respondTo(await sim.appRequest('REFER'), 202);
    // The agent's transfer.timeoutMs (applied by the call) is the only limit; the leg used to stop at 30 s.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      vi.advanceTimersByTime(40_000);
    } finally {
      vi.useRealTimers();
    }
    sim.sendNotify(invite.dialog!, 'SIP/2.0 200 OK');
    await expect(done).resolves.toEqual({ ok: true });
  });

  it('settles a transfer still waiting when the call ends, so nothing waits forever', async () => {
    await start();
    const { call } = await answeredCall();
    const done = call.leg.transfer('sip:agent@pbx.example');
    sim.respondTo(await sim.appRequest('REFER'), 202);
    call.leg.close('caller_hangup');
    await expect(done).resolves.toMatchObject({ ok: false, reason: 'the call ended' });
  });

  it('refuses to start with an empty allow-list: accepting anyone has to be written out', async () => {
    await start({ allowFrom: ['0.0.0.0/0', '::/0'] });
    expect((await sim.sendOptions().finalResponse()).status).toBe(200);
    expect(() =>
      startSipFrontEnd({
        srf: asSrfApp(new Srf()),
        drachtio: { host: '127.0.0.1', port: sim.port, secret: 'cymru', reconnectMaxDelayMs: 200 },
        allowFrom: [],
        busyStatus: 486,
        rtp: { bindAddress: '127.0.0.1', advertisedAddress: '127.0.0.1', portMin: 47000, portMax: 47019, idleAudio: 'none' },
        refusal: () => undefined,
        admit: () => ({ accepted: false, reason: 'test' }),
        logger: pino({ level: 'silent' }),
      }),
    ).toThrow(/sip\.allowFrom is empty.*0\.0\.0\.0\/0/);
  });

  it('answers OPTIONS keep-alives', async () => {
    await start();
    expect((await sim.sendOptions().finalResponse()).status).toBe(200);
  });

  it('reconnects after drachtio-server drops the connection, and is not ready meanwhile', async () => {
    await start();
    expect(front.link.state).toBe('connected');
    sim.dropConnections();
    await waitUntil(() => front.link.state !== 'connected', 'disconnect noticed');
    await waitUntil(() => front.link.state === 'connected', 'reconnected', 3_000);
    await sim.waitForRoute('invite');
    const { call } = await answeredCall();
    expect(call.to).toBe('+15550100');
  });

  it('ignores garbage UDP on the RTP port', async () => {
    await start();
    const { answer, call } = await answeredCall();
    const ourPort = Number(/^m=audio (\d+)/m.exec(answer)![1]);
    await peer.sendRaw(new Uint8Array([1, 2, 3]), { address: '127.0.0.1', port: ourPort });
    await peer.sendRaw(new Uint8Array(200).fill(0xff), { address: '127.0.0.1', port: ourPort });
    call.leg.sendAudio(new Int16Array(160));
    await waitUntil(() => peer.received.length >= 1, 'RTP still flowing');
    expect(parseRtp(new Uint8Array([1, 2, 3])).ok).toBe(false);
  });
});
