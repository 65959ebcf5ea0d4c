/**
 * The RTP thread's stream host, run on this thread with a hand-stepped clock and in-memory
 * sockets: the messages the main thread would get, slot by slot, and the packets that would go
 * out. (The same host inside a real worker thread is worker-rtp.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { mulawEncode } from '../../../src/audio/g711.js';
import type { NegotiatedAudio } from '../../../src/sip/sdp/negotiate-audio.js';
import { parseRtp, serializeRtp, type RtpPacket } from '../../../src/sip/rtp/rtp-packet.js';
import { FrameBatchWriter } from '../../../src/sip/rtp/worker/frame-batch.js';
import { RtpStreamHost } from '../../../src/sip/rtp/worker/rtp-stream-host.js';
import type { FromRtpThread, StreamCommand, ToRtpThread } from '../../../src/sip/rtp/worker/rtp-thread-protocol.js';
import type { BindRtpSocket, RtpSocketHandlers } from '../../../src/sip/rtp/udp-socket.js';
import { SteppedClock } from './rtp-peer.js';
import { pcmuAudio } from './pcmu-audio.js';

const audio = (port: number): NegotiatedAudio => pcmuAudio({ address: '192.0.2.10', port });

interface Socket {
  port: number;
  handlers: RtpSocketHandlers;
  sent: RtpPacket[];
  closed: boolean;
}

function setup(opts: { failBind?: string } = {}) {
  const time = new SteppedClock();
  const posted: FromRtpThread[] = [];
  /** Messages that reached the thread's port but whose 'message' event has not run yet. */
  const arrived: ToRtpThread[] = [];
  const sockets: Socket[] = [];
  const bind: BindRtpSocket = (_address, port, handlers) => {
    if (opts.failBind) return Promise.reject(Object.assign(new Error(`bind ${port}: ${opts.failBind}`), { code: opts.failBind }));
    const socket: Socket = { port, handlers, sent: [], closed: false };
    sockets.push(socket);
    return Promise.resolve({
      send(packet) {
        const parsed = parseRtp(packet);
        if (parsed.ok) socket.sent.push(parsed.packet);
      },
      close() {
        socket.closed = true;
      },
    });
  };
  const host = new RtpStreamHost({
    localAddress: '127.0.0.1',
    idleAudio: 'none',
    clock: time.clock,
    bind,
    countersEverySlots: 5,
    handles: () => ({ UDPWrap: sockets.filter((s) => !s.closed).length }),
    post: (message) => posted.push(message),
    takeMessage: () => arrived.shift(),
  });
  const open = async (stream: number, port: number): Promise<Socket> => {
    host.handle({ type: 'open', stream, port, audio: audio(30_000 + stream), inactivityTimeoutMs: null });
    await new Promise((resolve) => setImmediate(resolve));
    const socket = sockets.find((s) => s.port === port);
    if (socket === undefined) throw new Error(`stream ${stream} did not open: ${JSON.stringify(posted.at(-1))}`);
    return socket;
  };
  /** One message from the main thread: frames (stream, first sample) and commands, in order. */
  const message = (...entries: Array<[stream: number, value: number] | StreamCommand>): ToRtpThread => {
    const writer = new FrameBatchWriter<StreamCommand>();
    for (const entry of entries) {
      if (Array.isArray(entry)) writer.addFrame(entry[0], new Int16Array(160).fill(entry[1]));
      else writer.addItem(entry);
    }
    const taken = writer.take()!;
    return { type: 'send', frames: taken.frames, commands: taken.items };
  };
  const send = (...entries: Array<[stream: number, value: number] | StreamCommand>): void => host.handle(message(...entries));
  /** The caller's packet `seq` arriving at a socket. */
  const receive = (socket: Socket, seq: number, payloadType = 0, payload: Uint8Array = mulawEncode(new Int16Array(160).fill(seq * 100))) =>
    socket.handlers.onMessage(
      Buffer.from(serializeRtp({ marker: false, payloadType, sequenceNumber: seq, timestamp: seq * 160, ssrc: 7 }, payload)),
      {
        address: '192.0.2.10',
        port: 30_000,
      },
    );
  /** Steps the clock slot by slot; what a slot posts goes out once its tick is over (a microtask). */
  const advance = async (ms: number): Promise<void> => {
    for (let stepped = 0; stepped < ms; stepped += 20) {
      time.advance(20);
      await Promise.resolve();
    }
  };
  const slots = () => posted.filter((m): m is Extract<FromRtpThread, { type: 'slot' }> => m.type === 'slot');
  return { time, host, posted, arrived, open, message, send, receive, advance, slots };
}

/** What a payload byte decodes back to: mu-law is lossy, so compare with what the same value encodes to. */
const encoded = (value: number) => mulawEncode(new Int16Array([value]))[0];

describe('RTP stream host', () => {
  it('answers an open with `opened` once the socket is bound, and reports a bind error with its code', async () => {
    const ok = setup();
    await ok.open(1, 20_000);
    expect(ok.posted).toEqual([{ type: 'opened', stream: 1 }]);

    const taken = setup({ failBind: 'EADDRINUSE' });
    taken.host.handle({ type: 'open', stream: 2, port: 20_002, audio: audio(30_002), inactivityTimeoutMs: null });
    await new Promise((resolve) => setImmediate(resolve));
    expect(taken.posted).toEqual([
      { type: 'open_failed', stream: 2, code: 'EADDRINUSE', message: expect.stringContaining('bind 20002') as string },
    ]);
    expect(taken.host.streams).toBe(0);
  });

  it('sends every stream’s frames one packet per slot, on the thread’s clock', async () => {
    const h = setup();
    const a = await h.open(1, 20_000);
    const b = await h.open(2, 20_002);
    h.send([1, 100], [2, 200], [1, 101], [2, 201], [1, 102]);
    expect(a.sent).toHaveLength(0);
    await h.advance(20);
    expect([a.sent.length, b.sent.length]).toEqual([1, 1]);
    await h.advance(40);
    expect(a.sent.map((p) => p.payload[0])).toEqual([encoded(100), encoded(101), encoded(102)]);
    expect(b.sent.map((p) => p.payload[0])).toEqual([encoded(200), encoded(201)]);
    expect(a.sent.map((p) => p.timestamp - a.sent[0]!.timestamp)).toEqual([0, 160, 320]);
  });

  it('posts one message per slot carrying every stream’s inbound audio and digits, in arrival order', async () => {
    const h = setup();
    const a = await h.open(1, 20_000);
    const b = await h.open(2, 20_002);
    h.posted.length = 0;
    h.receive(a, 1);
    h.receive(b, 1);
    h.receive(a, 2);
    // RFC 4733: digit 5, end bit set.
    h.receive(b, 2, 101, new Uint8Array([5, 0x80, 0, 160]));
    expect(h.posted).toHaveLength(0);
    await h.advance(20);
    expect(h.slots()).toHaveLength(1);
    const slot = h.slots()[0]!;
    expect(Array.from(slot.frames.index)).toEqual([1, 160, 2, 160, 1, 160]);
    expect(slot.reports).toEqual([{ kind: 'dtmf', stream: 2, digit: '5', afterFrame: 3 }]);
    // A quiet slot posts nothing.
    await h.advance(20);
    expect(h.slots()).toHaveLength(1);
  });

  it('clears a stream’s queue where the clear stands in the message: frames before it never go out, frames after it do', async () => {
    const h = setup();
    const a = await h.open(1, 20_000);
    const b = await h.open(2, 20_002);
    h.send([1, 100], [1, 101], [2, 200], { op: 'clear', stream: 1 }, [1, 102]);
    await h.advance(100);
    expect(a.sent.map((p) => p.payload[0])).toEqual([encoded(102)]);
    expect(b.sent.map((p) => p.payload[0])).toEqual([encoded(200)]);
  });

  it('applies what has reached the thread before each slot’s packets, so a clear that came during the wait for the slot stops its packet', async () => {
    const h = setup();
    const a = await h.open(1, 20_000);
    h.send([1, 100], [1, 101]);
    await h.advance(20);
    h.arrived.push(h.message({ op: 'clear', stream: 1 }, [1, 102]));
    await h.advance(20);
    expect(h.arrived).toHaveLength(0);
    expect(a.sent.map((p) => p.payload[0])).toEqual([encoded(100), encoded(102)]);
  });

  it('pauses on hold and applies a re-INVITE’s codec change to the frames that follow it', async () => {
    const h = setup();
    const a = await h.open(1, 20_000);
    h.send({ op: 'direction', stream: 1, direction: 'recvonly' }, [1, 100]);
    await h.advance(40);
    expect(a.sent).toHaveLength(0);
    h.send({ op: 'update', stream: 1, audio: { ...audio(30_001), codec: 'PCMA', payloadType: 8 } }, [1, 100]);
    await h.advance(40);
    expect(a.sent.map((p) => p.payloadType)).toEqual([8]);
  });

  it('closes a stream when asked, reports its last counters, and stops the clock with the last stream', async () => {
    const h = setup();
    const a = await h.open(1, 20_000);
    h.send([1, 100]);
    await h.advance(20);
    h.send({ op: 'close', stream: 1, reason: 'caller_hangup' });
    expect(a.closed).toBe(true);
    expect(h.host.streams).toBe(0);
    expect(h.time.clock.subscribers).toBe(0);
    // With no stream on the clock, the close's report goes out with the message that caused it.
    const last = h.slots().at(-1)!;
    expect(last.reports).toEqual([
      { kind: 'closed', stream: 1, counters: expect.objectContaining({ packetsOut: 1 }) as object, afterFrame: 0 },
    ]);
    h.host.handle({ type: 'inspect', request: 9, resetSendClock: true });
    expect(h.posted.at(-1)).toMatchObject({ type: 'inspected', request: 9, streams: 0, handles: { UDPWrap: 0 } });
    // The stepped clock is never late: one slot's timing, all zero.
    expect(h.posted.at(-1)).toMatchObject({ sendClock: { slots: 1, startLateMaxMs: 0, doneLateMaxMs: 0 } });
    h.host.handle({ type: 'inspect', request: 10, resetSendClock: false });
    expect(h.posted.at(-1)).toMatchObject({ sendClock: { slots: 0 } });
  });

  it('sends every stream’s counters every few slots', async () => {
    const h = setup();
    await h.open(1, 20_000);
    await h.open(2, 20_002);
    h.send([1, 100], [2, 200]);
    await h.advance(100);
    const withCounters = h.slots().filter((m) => m.counters.length > 0);
    expect(withCounters).toHaveLength(1);
    expect(withCounters[0]!.counters.map((c) => [c.stream, c.counters.packetsOut])).toEqual([
      [1, 1],
      [2, 1],
    ]);
  });

  it('a command that breaks one stream closes that stream and reports it failed; the others carry on', async () => {
    const h = setup();
    const a = await h.open(1, 20_000);
    const b = await h.open(2, 20_002);
    // A malformed update (no negotiation at all) throws inside the leg.
    h.send({ op: 'update', stream: 1, audio: null as unknown as NegotiatedAudio }, [2, 200]);
    await h.advance(20);
    const failed = h
      .slots()
      .flatMap((m) => m.reports)
      .filter((r) => r.kind === 'failed');
    expect(failed).toEqual([{ kind: 'failed', stream: 1, message: expect.stringContaining('TypeError') as string, afterFrame: 0 }]);
    expect(a.closed).toBe(true);
    expect(b.sent.map((p) => p.payload[0])).toEqual([encoded(200)]);
    expect(h.host.streams).toBe(1);
    // The call ends and closes its leg: answered, so the main side can forget the stream too.
    h.send({ op: 'close', stream: 1, reason: 'media_failed' });
    await h.advance(20);
    const closed = h
      .slots()
      .flatMap((m) => m.reports)
      .filter((r) => r.kind === 'closed');
    expect(closed).toEqual([{ kind: 'closed', stream: 1, counters: null, afterFrame: 0 }]);
  });
});
