import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { alawDecode, alawEncode, mulawDecode, mulawEncode } from '../../../src/audio/g711.js';
import type { MediaEvent } from '../../../src/call/media-leg.js';
import type { NegotiatedAudio } from '../../../src/sip/sdp/negotiate-audio.js';
import { RtpPortAllocator, RtpPortsExhaustedError } from '../../../src/sip/rtp/port-allocator.js';
import { SharedRtpClock } from '../../../src/sip/rtp/rtp-clock.js';
import { RtpLeg, type RtpLegOptions } from '../../../src/sip/rtp/rtp-leg.js';
import { serializeTelephoneEvent } from '../../../src/sip/rtp/telephone-event.js';
import { delay, RtpPeer, SteppedClock, waitUntil } from './rtp-peer.js';
import { pcmuAudio } from './pcmu-audio.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

let nextRange = 41_000 + (process.pid % 200) * 40;
/** Each test gets its own port range so parallel workers and lingering sockets never collide. */
function freshAllocator(pairs = 4): RtpPortAllocator {
  const minPort = nextRange;
  nextRange += pairs * 2;
  return new RtpPortAllocator({ minPort, maxPort: minPort + pairs * 2 - 1 });
}

async function openLeg(options: Partial<RtpLegOptions> & { audio: NegotiatedAudio }) {
  const clock = new SharedRtpClock();
  const events: MediaEvent[] = [];
  const leg = await RtpLeg.open({
    localAddress: '127.0.0.1',
    allocator: freshAllocator(),
    clock,
    idleAudio: 'none',
    // Tests that count frames must not see the pause filler (it has its own test below).
    silenceFillMs: 0,
    ...options,
  });
  leg.attach((event) => events.push(event));
  cleanups.push(() => leg.close('test over'));
  const audio = () => events.filter((e): e is Extract<MediaEvent, { type: 'audio' }> => e.type === 'audio');
  const digits = () => events.filter((e): e is Extract<MediaEvent, { type: 'dtmf' }> => e.type === 'dtmf').map((e) => e.digit);
  const target = { address: '127.0.0.1', port: leg.localPort };
  return { leg, clock, events, audio, digits, target };
}

async function openPeer(): Promise<RtpPeer> {
  const peer = await RtpPeer.open();
  cleanups.push(() => peer.close());
  return peer;
}

/** A mu-law/A-law byte decodes to one value, so each packet's frame names its packet. */
const MULAW_CODES = [0x80, 0x90, 0xa0, 0xb0, 0xc0, 0xd0, 0xe0, 0xf0, 0x81, 0x91, 0xa1, 0xb1, 0xc1, 0xd1, 0xe1];
const mulawValue = (code: number) => mulawDecode(new Uint8Array([code]))[0]!;

describe('RtpLeg on real UDP sockets', () => {
  it('PCMU in: reorders, drops duplicates, conceals loss across a sequence wrap, and delivers each DTMF press once', async () => {
    const peer = await openPeer();
    const { leg, audio, digits, target } = await openLeg({ audio: pcmuAudio(peer.address) });
    const ssrc = 0x1234abcd;
    const seqAt = (i: number) => (65_530 + i) & 0xffff; // packet 6 wraps to 0
    const audioPacket = (i: number) =>
      peer.sendRtp({ marker: i === 0, payloadType: 0, sequenceNumber: seqAt(i), timestamp: 1000 + i * 160, ssrc }, new Uint8Array(160).fill(MULAW_CODES[i]!), target);
    const dtmfPacket = (i: number, end: boolean) =>
      peer.sendRtp(
        { marker: i === 8 && !end, payloadType: 101, sequenceNumber: seqAt(i), timestamp: 1000 + 8 * 160, ssrc },
        serializeTelephoneEvent({ event: 7, end, volume: 10, durationSamples: (i - 7) * 160 }),
        target,
      );

    // Audio 0..7 with 3/4 swapped, 5 duplicated and 2 lost; a press of 7 on seqs 8..13 (three
    // updates, the end packet three times); audio 14 resumes; then lost 2 turns up late.
    for (const i of [0, 1, 4, 3, 5, 5, 6, 7]) await audioPacket(i);
    for (const i of [8, 9, 10]) await dtmfPacket(i, false);
    for (const i of [11, 12, 13]) await dtmfPacket(i, true);
    await audioPacket(14);
    await waitUntil(() => audio().length >= 8, 'eight audio frames');
    await audioPacket(2);
    await waitUntil(() => leg.counters.late === 1, 'the late packet');

    const values = audio().map((e) => e.pcm[0]!);
    const v = (i: number) => mulawValue(MULAW_CODES[i]!);
    expect(values).toEqual([v(0), v(1), v(1) >> 1, v(3), v(4), v(5), v(6), v(7), v(14)]);
    expect(audio().every((e) => e.pcm.length === 160)).toBe(true);
    expect(digits()).toEqual(['7']);
    // Every valid datagram from the caller counts, the duplicate and the late one included.
    expect(leg.counters).toMatchObject({ packetsIn: 16, duplicates: 1, lost: 1, late: 1, dtmfDigits: 1, garbage: 0 });
  });

  it('PCMA both ways: decodes A-law in, encodes A-law out with PT 8', async () => {
    const peer = await openPeer();
    const { leg, audio, target } = await openLeg({ audio: pcmuAudio(peer.address, { codec: 'PCMA', payloadType: 8 }) });
    await peer.sendRtp({ marker: true, payloadType: 8, sequenceNumber: 1, timestamp: 0, ssrc: 9 }, new Uint8Array(160).fill(0x2a), target);
    await waitUntil(() => audio().length === 1, 'one frame');
    expect(audio()[0]!.pcm[0]).toBe(alawDecode(new Uint8Array([0x2a]))[0]);

    const tone = Int16Array.from({ length: 160 }, (_, i) => Math.round(8000 * Math.sin(i / 5)));
    leg.sendAudio(tone);
    await waitUntil(() => peer.received.length === 1, 'one packet');
    const packet = peer.received[0]!.packet;
    expect(packet.payloadType).toBe(8);
    expect([...packet.payload]).toEqual([...alawEncode(tone)]);
  });

  it('sends paced packets: one per 20 ms, seq +1, ts +160, marker on each talk-spurt, one random SSRC', async () => {
    const peer = await openPeer();
    const { leg } = await openLeg({ audio: pcmuAudio(peer.address) });
    const frames = Array.from({ length: 10 }, (_, k) => new Int16Array(160).fill(k * 100));
    const queuedAtMs = performance.now();
    for (const frame of frames) leg.sendAudio(frame);
    await waitUntil(() => peer.received.length === 10, 'ten packets');

    const got = peer.received.map((r) => r.packet);
    // Measured so that one late tick on a busy machine (which the clock makes up with a short
    // burst) cannot fail it; the exact grid is checked under fake timers in rtp-leg-pacing.
    const gapsMs = peer.received.slice(1).map((r, k) => r.atMs - peer.received[k]!.atMs);
    const medianGapMs = [...gapsMs].sort((a, b) => a - b)[4]!;
    expect(medianGapMs).toBeGreaterThan(15);
    // Ten slots, the last at least 180 ms after queueing: paced, not a burst. (No upper bound on
    // a shared machine; the exact grid is checked under fake timers in rtp-leg-pacing.)
    const lastAfterMs = peer.received[9]!.atMs - queuedAtMs;
    expect(lastAfterMs).toBeGreaterThan(175);
    for (let k = 1; k < 10; k++) {
      expect(got[k]!.sequenceNumber).toBe((got[0]!.sequenceNumber + k) & 0xffff);
      expect(got[k]!.timestamp).toBe((got[0]!.timestamp + k * 160) >>> 0);
    }
    expect(got.map((p) => p.marker)).toEqual([true, ...Array<boolean>(9).fill(false)]);
    expect(new Set(got.map((p) => p.ssrc)).size).toBe(1);
    expect(got.every((p) => p.payloadType === 0)).toBe(true);
    expect([...got[3]!.payload]).toEqual([...mulawEncode(frames[3]!)]);

    // Silence (nothing queued) for a while, then a new talk-spurt.
    await delay(100);
    leg.sendAudio(frames[0]!);
    await waitUntil(() => peer.received.length === 11, 'the next talk-spurt');
    const next = peer.received[10]!.packet;
    expect(next.marker).toBe(true);
    expect(next.sequenceNumber).toBe((got[9]!.sequenceNumber + 1) & 0xffff);
    const tsStep = (next.timestamp - got[9]!.timestamp) >>> 0;
    expect(tsStep % 160).toBe(0);
    expect(tsStep / 160).toBeGreaterThanOrEqual(5); // the timestamp kept time through the gap
    expect(leg.counters.packetsOut).toBe(11);
  });

  it('with idle silence (the default) the stream is continuous mu-law silence', async () => {
    const peer = await openPeer();
    await openLeg({ audio: pcmuAudio(peer.address), idleAudio: 'silence' });
    await waitUntil(() => peer.received.length >= 4, 'silence packets');
    expect(peer.received.every((r) => r.packet.payload.every((b) => b === 0xff))).toBe(true);
    expect(peer.received.map((r) => r.packet.marker)).toEqual([true, ...Array<boolean>(peer.received.length - 1).fill(false)]);
  });

  it('clear() stops sending at once', async () => {
    const peer = await openPeer();
    const { leg } = await openLeg({ audio: pcmuAudio(peer.address) });
    for (let k = 0; k < 25; k++) leg.sendAudio(new Int16Array(160).fill(1000));
    await waitUntil(() => peer.received.length >= 3, 'the first packets');
    leg.clear();
    const sentAtClear = leg.counters.packetsOut;
    expect(leg.queuedFrames).toBe(0);
    // Frames leave in order: once a frame queued after the clear has arrived, any cleared one
    // still going out would have arrived before it.
    leg.sendAudio(new Int16Array(160).fill(-2000));
    await waitUntil(() => peer.received.length === sentAtClear + 1, 'the frame queued after the clear');
    expect([...peer.received.at(-1)!.packet.payload]).toEqual([...mulawEncode(new Int16Array(160).fill(-2000))]);
    expect(leg.counters.packetsOut).toBe(sentAtClear + 1);
  });

  it('symmetric RTP: sends to the SDP address until RTP arrives, then to its source; a second source is ignored and counted', async () => {
    const signalled = await openPeer(); // the SDP's address (a private one, behind NAT)
    const actual = await openPeer(); // where the caller's RTP really comes from
    const intruder = await openPeer();
    const { leg, audio, target } = await openLeg({ audio: pcmuAudio(signalled.address) });
    leg.sendAudio(new Int16Array(160));
    await waitUntil(() => signalled.received.length === 1, 'a packet to the SDP address');

    await actual.sendRtp({ marker: true, payloadType: 0, sequenceNumber: 10, timestamp: 0, ssrc: 1 }, new Uint8Array(160).fill(0x80), target);
    await waitUntil(() => audio().length === 1, 'the caller audio');
    expect(leg.remoteTarget).toEqual(actual.address);
    await intruder.sendRtp({ marker: true, payloadType: 0, sequenceNumber: 500, timestamp: 0, ssrc: 2 }, new Uint8Array(160).fill(0x90), target);
    await waitUntil(() => leg.counters.foreignSource === 1, 'the foreign packet counted');

    leg.sendAudio(new Int16Array(160));
    await waitUntil(() => actual.received.length === 1, 'a packet to the real source');
    expect(signalled.received).toHaveLength(1);
    expect(intruder.received).toHaveLength(0);
    expect(audio()).toHaveLength(1);
    expect(leg.counters).toMatchObject({ sourceLatches: 1, foreignSource: 1, packetsIn: 1 });
  });

  it('re-targets to a new source once the latched one has gone quiet', async () => {
    const first = await openPeer();
    const second = await openPeer();
    const { leg, target } = await openLeg({ audio: pcmuAudio(undefined), relatchAfterMs: 60 });
    await first.sendRtp({ marker: true, payloadType: 0, sequenceNumber: 1, timestamp: 0, ssrc: 1 }, new Uint8Array(160), target);
    await waitUntil(() => leg.remoteTarget?.port === first.address.port, 'latched on the first');
    await delay(80);
    await second.sendRtp({ marker: true, payloadType: 0, sequenceNumber: 1, timestamp: 0, ssrc: 2 }, new Uint8Array(160), target);
    await waitUntil(() => leg.remoteTarget?.port === second.address.port, 'latched on the second');
    expect(leg.counters.sourceLatches).toBe(2);
  });

  it('counts garbage, RTCP and unnegotiated payload types without failing, and keeps working', async () => {
    const peer = await openPeer();
    const { leg, audio, target } = await openLeg({ audio: pcmuAudio(peer.address) });
    const stunBindingRequest = new Uint8Array([0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const badPadding = new Uint8Array([0xa0, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0x7f]);
    await peer.sendRaw(new Uint8Array([1, 2, 3]), target);
    await peer.sendRaw(stunBindingRequest, target);
    await peer.sendRaw(badPadding, target);
    await peer.sendRaw(new Uint8Array(0), target);
    await peer.sendRaw(new Uint8Array([0x81, 200, 0, 6, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]), target); // RTCP SR
    await peer.sendRtp({ marker: false, payloadType: 13, sequenceNumber: 1, timestamp: 0, ssrc: 5 }, new Uint8Array(1), target); // comfort noise
    await peer.sendRtp({ marker: true, payloadType: 0, sequenceNumber: 2, timestamp: 0, ssrc: 5 }, new Uint8Array(160).fill(0x80), target);
    await waitUntil(() => audio().length === 1, 'audio after the garbage');
    expect(leg.counters).toMatchObject({ garbage: 4, rtcpIn: 1, unknownPayloadType: 1, packetsIn: 1 });
    // An unnegotiated stream did not capture the send target.
    expect(leg.counters.sourceLatches).toBe(1);
  });

  it('hold: recvonly pauses sending (silence too) but keeps receiving; resuming marks a new talk-spurt', async () => {
    const peer = await openPeer();
    const time = new SteppedClock();
    const { leg, audio, target } = await openLeg({ audio: pcmuAudio(peer.address), idleAudio: 'silence', clock: time.clock });
    time.advance(40);
    await waitUntil(() => peer.received.length === 2, 'silence packets');
    leg.setDirection('recvonly');
    leg.sendAudio(new Int16Array(160));
    await peer.sendRtp({ marker: true, payloadType: 0, sequenceNumber: 1, timestamp: 0, ssrc: 5 }, new Uint8Array(160).fill(0x80), target);
    await waitUntil(() => audio().length === 1, 'the caller audio, received while on hold');
    time.advance(80);
    expect(leg.counters.packetsOut).toBe(2);
    const beforeResume = peer.received.length;
    leg.setDirection('sendrecv');
    time.advance(20);
    await waitUntil(() => peer.received.length > beforeResume, 'sending again');
    expect(peer.received[beforeResume]!.packet.marker).toBe(true);
  });

  it('inactive: neither sends nor delivers', async () => {
    const peer = await openPeer();
    const time = new SteppedClock();
    const { leg, audio, target } = await openLeg({ audio: pcmuAudio(peer.address, { direction: 'inactive' }), idleAudio: 'silence', clock: time.clock });
    leg.sendAudio(new Int16Array(160));
    await peer.sendRtp({ marker: true, payloadType: 0, sequenceNumber: 1, timestamp: 0, ssrc: 5 }, new Uint8Array(160), target);
    await waitUntil(() => leg.counters.packetsIn === 1, 'the packet counted');
    time.advance(100);
    expect(leg.counters.packetsOut).toBe(0);
    expect(audio()).toHaveLength(0);
  });

  it('reports inactivity once per silent stretch, and again after RTP resumed and stopped', async () => {
    const peer = await openPeer();
    const reports: number[] = [];
    const time = new SteppedClock();
    const { leg, target } = await openLeg({
      audio: pcmuAudio(peer.address),
      inactivityTimeoutMs: 60,
      onInactivity: (ms) => reports.push(ms),
      clock: time.clock,
    });
    time.advance(60);
    expect(reports).toEqual([60]);
    time.advance(200);
    expect(reports).toEqual([60]);
    await peer.sendRtp({ marker: true, payloadType: 0, sequenceNumber: 1, timestamp: 0, ssrc: 5 }, new Uint8Array(160), target);
    await waitUntil(() => leg.counters.packetsIn === 1, 'the caller RTP');
    time.advance(60);
    expect(reports).toEqual([60, 60]);
  });

  it('feeds the call silence through a pause in the caller’s RTP, for silenceFillMs only', async () => {
    const peer = await openPeer();
    const time = new SteppedClock();
    const { audio, target } = await openLeg({ audio: pcmuAudio(peer.address), silenceFillMs: 100, clock: time.clock });
    await peer.sendRtp({ marker: true, payloadType: 0, sequenceNumber: 1, timestamp: 0, ssrc: 5 }, new Uint8Array(160).fill(0x80), target);
    await waitUntil(() => audio().length === 1, 'the caller frame');
    // However long the pause runs, the call gets 100 ms (five frames) of silence, no more.
    time.advance(300);
    expect(audio()).toHaveLength(6);
    time.advance(1_000);
    expect(audio()).toHaveLength(6);
    expect(audio().slice(1).every((e) => e.pcm.every((sample) => sample === 0))).toBe(true);
  });

  it('a throwing event sink is reported, not fatal', async () => {
    const peer = await openPeer();
    const errors: unknown[] = [];
    const { leg, target } = await openLeg({ audio: pcmuAudio(peer.address), onError: (err) => errors.push(err) });
    leg.attach(() => {
      throw new Error('sink bug');
    });
    for (let seq = 1; seq <= 2; seq++) {
      await peer.sendRtp({ marker: false, payloadType: 0, sequenceNumber: seq, timestamp: seq * 160, ssrc: 5 }, new Uint8Array(160), target);
    }
    await waitUntil(() => errors.length === 2, 'both errors');
    expect(leg.counters.packetsIn).toBe(2);
  });

  it('close releases the port (a new leg binds it), is idempotent, and sends nothing afterwards', async () => {
    const peer = await openPeer();
    const allocator = freshAllocator(1);
    const clock = new SharedRtpClock();
    const open = () => RtpLeg.open({ localAddress: '127.0.0.1', allocator, clock, audio: pcmuAudio(peer.address), idleAudio: 'silence' });
    const first = await open();
    await expect(open()).rejects.toBeInstanceOf(RtpPortsExhaustedError);
    await waitUntil(() => peer.received.length > 0, 'packets from the first leg');
    first.close('caller hung up');
    first.close('again');
    expect(first.closed).toBe(true);
    expect(first.closeReason).toBe('caller hung up');
    expect(clock.subscribers).toBe(0);
    const countAtClose = peer.received.length;
    first.sendAudio(new Int16Array(160));

    const second = await open();
    cleanups.push(() => second.close('test over'));
    expect(second.localPort).toBe(first.localPort);
    await waitUntil(() => peer.received.length > countAtClose, 'packets from the second leg');
    expect(peer.received.slice(countAtClose).every((r) => r.packet.ssrc !== peer.received[0]!.packet.ssrc)).toBe(true);
  });

  it('skips a port another process holds', async () => {
    const allocator = freshAllocator(2);
    const squatter = createSocket('udp4');
    const squatted = allocator.allocate();
    allocator.release(squatted); // goes to the back of the queue: allocate the other one first …
    const other = allocator.allocate();
    allocator.release(other); // … so the squatted port comes out next
    await new Promise<void>((resolve) => squatter.bind(squatted, '127.0.0.1', resolve));
    cleanups.push(() => squatter.close());
    const leg = await RtpLeg.open({ localAddress: '127.0.0.1', allocator, clock: new SharedRtpClock(), audio: pcmuAudio(undefined) });
    cleanups.push(() => leg.close('test over'));
    expect(leg.localPort).toBe(other);
    expect(allocator.inUse).toBe(1);
  });

  it('update() applies a re-INVITE: new address, new codec, direction', async () => {
    const before = await openPeer();
    const after = await openPeer();
    const { leg } = await openLeg({ audio: pcmuAudio(before.address) });
    leg.update(pcmuAudio(after.address, { codec: 'PCMA', payloadType: 8 }));
    leg.sendAudio(new Int16Array(160));
    await waitUntil(() => after.received.length === 1, 'a packet to the new address');
    expect(after.received[0]!.packet.payloadType).toBe(8);
    expect([...after.received[0]!.packet.payload]).toEqual([...alawEncode(new Int16Array(160))]);
    expect(before.received).toHaveLength(0);
  });
});
