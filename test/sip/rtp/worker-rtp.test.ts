/**
 * RTP streams in the real RTP I/O thread, driven from this thread through WorkerRtp, with real
 * UDP sockets on 127.0.0.1: what a call does (frames, clear, hold, re-INVITE, close) on one side,
 * what the far end receives on the other, and what happens when the thread dies.
 */
import type { Worker } from 'node:worker_threads';
import { createSocket, type Socket } from 'node:dgram';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { alawDecode, mulawDecode, mulawEncode } from '../../../src/audio/g711.js';
import type { MediaEvent } from '../../../src/call/media-leg.js';
import type { NegotiatedAudio } from '../../../src/sip/sdp/negotiate-audio.js';
import { RtpPortAllocator, RtpPortsExhaustedError } from '../../../src/sip/rtp/port-allocator.js';
import type { RtpStream, RtpStreamRequest } from '../../../src/sip/rtp/rtp-stream.js';
import { spawnRtpThread } from '../../../src/sip/rtp/worker/spawn-rtp-thread.js';
import { WorkerRtp } from '../../../src/sip/rtp/worker/worker-rtp.js';
import { RtpPeer, waitUntil, type Received } from './rtp-peer.js';
import { pcmuAudio } from './pcmu-audio.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

let nextRange = 38_000 + (process.pid % 100) * 20;
function freshAllocator(pairs = 4): RtpPortAllocator {
  const minPort = nextRange;
  nextRange += pairs * 2;
  return new RtpPortAllocator({ minPort, maxPort: minPort + pairs * 2 - 1 });
}

/** WorkerRtp with its own thread, which the test can reach (to end it behind WorkerRtp's back). */
function startRtp(opts: { allocator?: RtpPortAllocator; idleAudio?: 'silence' | 'none' } = {}) {
  const threads: Worker[] = [];
  const allocator = opts.allocator ?? freshAllocator();
  const rtp = new WorkerRtp({
    localAddress: '127.0.0.1',
    idleAudio: opts.idleAudio ?? 'none',
    allocator,
    logger: pino({ level: 'silent' }),
    spawn: (settings) => {
      const thread = spawnRtpThread(settings);
      threads.push(thread);
      return thread;
    },
  });
  cleanups.push(() => rtp.close());
  return { rtp, allocator, threads };
}

async function openStream(rtp: WorkerRtp, audio: NegotiatedAudio, request: Partial<RtpStreamRequest> = {}) {
  const stream = await rtp.open({ audio, ...request });
  const events: MediaEvent[] = [];
  stream.attach((event) => events.push(event));
  const target = { address: '127.0.0.1', port: stream.localPort };
  return { stream, events, target };
}

async function openPeer(): Promise<RtpPeer> {
  const peer = await RtpPeer.open();
  cleanups.push(() => peer.close());
  return peer;
}

/** A frame whose every sample is `value`: each packet names the frame it carries. */
const frame = (value: number) => new Int16Array(160).fill(value);
/** The value a PCMU packet's frame was made of (mu-law is lossy: compare decoded with decoded). */
const valueOf = (received: Received) => mulawDecode(received.packet.payload)[0]!;
const asSent = (value: number) => mulawDecode(mulawEncode(new Int16Array([value])))[0]!;

describe('RTP streams in the RTP I/O thread', () => {
  it('carries audio both ways: frames out as paced PCMU, the caller’s RTP back as 20 ms frames', async () => {
    const { rtp } = startRtp();
    const peer = await openPeer();
    const { stream, events, target } = await openStream(rtp, pcmuAudio(peer.address));
    for (let k = 1; k <= 5; k++) stream.sendAudio(frame(k * 1000));
    await waitUntil(() => peer.received.length >= 5, 'five packets', 3_000);
    expect(peer.received.map(valueOf)).toEqual([1000, 2000, 3000, 4000, 5000].map(asSent));
    expect(peer.received.map((r) => r.packet.sequenceNumber - peer.received[0]!.packet.sequenceNumber)).toEqual([0, 1, 2, 3, 4]);
    expect(peer.received[0]!.packet.marker).toBe(true);

    for (let seq = 0; seq < 3; seq++) {
      await peer.sendRtp(
        { marker: seq === 0, payloadType: 0, sequenceNumber: seq, timestamp: seq * 160, ssrc: 9 },
        mulawEncode(frame(300 * (seq + 1))),
        target,
      );
    }
    await waitUntil(() => events.filter((e) => e.type === 'audio').length >= 3, 'three frames at the call', 3_000);
    const audio = events.filter((e): e is Extract<MediaEvent, { type: 'audio' }> => e.type === 'audio');
    expect(audio.map((e) => e.pcm.length)).toEqual([160, 160, 160]);
    expect(audio.map((e) => e.pcm[0])).toEqual([300, 600, 900].map(asSent));
    await waitUntil(() => stream.counters.packetsIn === 3 && stream.counters.packetsOut === 5, 'counters from the thread', 3_000);
  });

  it('delivers an RFC 4733 digit once, in order with the audio around it', async () => {
    const { rtp } = startRtp();
    const peer = await openPeer();
    const { events, target } = await openStream(rtp, pcmuAudio(peer.address));
    const ssrc = 0x99;
    await peer.sendRtp({ marker: true, payloadType: 0, sequenceNumber: 10, timestamp: 0, ssrc }, mulawEncode(frame(500)), target);
    for (const [i, end] of [false, false, true, true, true].entries()) {
      await peer.sendRtp(
        { marker: i === 0, payloadType: 101, sequenceNumber: 11 + i, timestamp: 160, ssrc },
        new Uint8Array([7, end ? 0x80 : 0, 0, 160]),
        target,
      );
    }
    await peer.sendRtp({ marker: false, payloadType: 0, sequenceNumber: 16, timestamp: 960, ssrc }, mulawEncode(frame(700)), target);
    await waitUntil(() => events.filter((e) => e.type === 'audio').length >= 2, 'the audio after the digit', 3_000);
    expect(events.map((e) => (e.type === 'dtmf' ? `dtmf ${e.digit}` : e.type))).toEqual(['audio', 'dtmf 7', 'audio']);
  });

  it('barge-in: clear drops the frames not yet posted and the thread’s queue; a frame sent after the clear plays next', async () => {
    const { rtp } = startRtp();
    const peer = await openPeer();
    const { stream } = await openStream(rtp, pcmuAudio(peer.address));

    // Frames and a clear in one macrotask: none of them ever leaves this thread.
    for (let k = 1; k <= 10; k++) stream.sendAudio(frame(1000 + k));
    stream.clear();
    stream.sendAudio(frame(9000));
    await waitUntil(() => peer.received.length >= 1, 'the frame after the clear', 3_000);
    expect(peer.received.map(valueOf)).toEqual([asSent(9000)]);

    // A second of speech queued in the thread; the caller barges in once it is playing.
    for (let k = 1; k <= 50; k++) stream.sendAudio(frame(100 * k));
    await waitUntil(() => peer.received.length >= 3, 'the speech to start', 3_000);
    stream.clear();
    stream.sendAudio(frame(-9000));
    await waitUntil(() => peer.received.some((r) => valueOf(r) === asSent(-9000)), 'the frame after the barge-in', 3_000);
    const speech = peer.received.slice(1).map(valueOf);
    const after = speech.indexOf(asSent(-9000));
    // Whatever of the speech had been sent came first, in order, and then nothing of it: the
    // frame sent after the clear is the last packet, and the rest of the second never went out.
    expect(speech.slice(0, after)).toEqual(Array.from({ length: after }, (_, i) => asSent(100 * (i + 1))));
    expect(after).toBeLessThan(50);
    expect(speech).toHaveLength(after + 1);
  });

  it('sends nothing on hold (frames offered meanwhile are dropped) and resumes with the next frame', async () => {
    const { rtp } = startRtp();
    const peer = await openPeer();
    const { stream } = await openStream(rtp, pcmuAudio(peer.address));
    stream.setDirection('recvonly');
    for (let k = 1; k <= 5; k++) stream.sendAudio(frame(1000 * k));
    stream.setDirection('sendrecv');
    stream.sendAudio(frame(-2000));
    await waitUntil(() => peer.received.length >= 1, 'the frame after resuming', 3_000);
    expect(peer.received.map(valueOf)).toEqual([asSent(-2000)]);
  });

  it('applies a re-INVITE’s codec change: frames after it go out as PCMA under the new payload type', async () => {
    const { rtp } = startRtp();
    const peer = await openPeer();
    const { stream } = await openStream(rtp, pcmuAudio(peer.address));
    stream.sendAudio(frame(1200));
    stream.update(pcmuAudio(peer.address, { codec: 'PCMA', payloadType: 8 }));
    stream.sendAudio(frame(2400));
    await waitUntil(() => peer.received.length >= 1, 'a packet', 3_000);
    // The PCMU frame queued before the change was dropped with the old encoding.
    expect(peer.received.map((r) => r.packet.payloadType)).toEqual([8]);
    expect(alawDecode(peer.received[0]!.packet.payload)[0]).toBeGreaterThan(2300);
  });

  it('close gives the port back at once and the thread closes the socket', async () => {
    const { rtp } = startRtp();
    const peer = await openPeer();
    const { stream } = await openStream(rtp, pcmuAudio(peer.address));
    expect(rtp.portsInUse).toBe(1);
    expect(await rtp.inspect()).toMatchObject({ thread: 'worker', streams: 1, threadHandles: { UDPWrap: 1 } });
    stream.close('caller_hangup');
    expect(stream.closed).toBe(true);
    expect(rtp.portsInUse).toBe(0);
    stream.sendAudio(frame(1000));
    expect(await rtp.inspect()).toMatchObject({ streams: 0 });
    // A socket's handle goes a moment after close(); ask again until it has (or give up and fail below).
    let handles = (await rtp.inspect()).threadHandles ?? {};
    for (let i = 0; i < 50 && (handles.UDPWrap ?? 0) + (handles.Timeout ?? 0) > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      handles = (await rtp.inspect()).threadHandles ?? {};
    }
    expect(handles.UDPWrap ?? 0).toBe(0);
    expect(handles.Timeout ?? 0).toBe(0);
  });

  it('refuses with RtpPortsExhaustedError when the range is used up', async () => {
    const { rtp } = startRtp({ allocator: freshAllocator(1) });
    const peer = await openPeer();
    await openStream(rtp, pcmuAudio(peer.address));
    await expect(rtp.open({ audio: pcmuAudio(peer.address) })).rejects.toBeInstanceOf(RtpPortsExhaustedError);
    expect(rtp.portsInUse).toBe(1);
  });

  it('tries the next port when another socket holds the allocated one, and reports the bind error when none is left', async () => {
    const allocator = freshAllocator(2);
    const { rtp } = startRtp({ allocator });
    const peer = await openPeer();
    // Someone else holds the first port of the range.
    const squatter: Socket = createSocket('udp4');
    const squatted = nextRange - 4;
    await new Promise<void>((resolve, reject) => {
      squatter.once('error', reject);
      squatter.bind({ address: '127.0.0.1', port: squatted, exclusive: true }, () => resolve());
    });
    cleanups.push(() => void squatter.close());
    const { stream } = await openStream(rtp, pcmuAudio(peer.address));
    expect(stream.localPort).toBe(squatted + 2);
    expect(rtp.portsInUse).toBe(1);
    // The only free port is the held one: the bind error, not a stream on someone else's port.
    await expect(rtp.open({ audio: pcmuAudio(peer.address) })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect(rtp.portsInUse).toBe(1);
  });

  it('when the thread dies, every stream it carried reports media_failed once, its port is freed, and the next call gets a new thread', async () => {
    const { rtp, threads } = startRtp({ idleAudio: 'silence' });
    const peer = await openPeer();
    const a = await openStream(rtp, pcmuAudio(peer.address));
    const b = await openStream(rtp, pcmuAudio(peer.address));
    await waitUntil(() => peer.received.length >= 4, 'both streams sending', 3_000);
    expect(threads).toHaveLength(1);

    await threads[0]!.terminate();
    await waitUntil(
      () => a.events.some((e) => e.type === 'media_failed') && b.events.some((e) => e.type === 'media_failed'),
      'media_failed',
      3_000,
    );
    for (const { stream, events } of [a, b]) {
      expect(events.filter((e) => e.type === 'media_failed')).toEqual([{ type: 'media_failed', detail: 'the RTP thread exited (code 1)' }]);
      expect(stream.closed).toBe(true);
      // What the call does next: close the leg. Nothing more is reported.
      stream.close('media_failed');
    }
    expect(rtp.portsInUse).toBe(0);

    const c = await openStream(rtp, pcmuAudio(peer.address));
    expect(threads).toHaveLength(2);
    const heard = peer.received.length;
    c.stream.sendAudio(frame(4000));
    await waitUntil(() => peer.received.slice(heard).some((r) => valueOf(r) === asSent(4000)), 'audio through the new thread', 3_000);
    expect(a.events.filter((e) => e.type === 'media_failed')).toHaveLength(1);
  });

  it('reports a failure that happened before the call attached, as soon as it does', async () => {
    const { rtp, threads } = startRtp();
    const peer = await openPeer();
    const stream: RtpStream = await rtp.open({ audio: pcmuAudio(peer.address) });
    await threads[0]!.terminate();
    await waitUntil(() => stream.closed, 'the stream to fail', 3_000);
    const events: MediaEvent[] = [];
    stream.attach((event) => events.push(event));
    await Promise.resolve();
    expect(events).toEqual([{ type: 'media_failed', detail: 'the RTP thread exited (code 1)' }]);
  });

  it('reports inactivity from the thread', async () => {
    const { rtp } = startRtp();
    const peer = await openPeer();
    const silences: number[] = [];
    await openStream(rtp, pcmuAudio(peer.address), { inactivityTimeoutMs: 100, onInactivity: (silentMs) => silences.push(silentMs) });
    await waitUntil(() => silences.length === 1, 'the inactivity report', 3_000);
    expect(silences[0]).toBeGreaterThanOrEqual(100);
  });
});
