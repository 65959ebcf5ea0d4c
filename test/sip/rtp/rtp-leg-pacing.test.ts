/**
 * The leg's send path under fake timers and an in-memory socket: exact pacing and ordering,
 * which real sockets can only show approximately.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RtpPortAllocator } from '../../../src/sip/rtp/port-allocator.js';
import { SharedRtpClock } from '../../../src/sip/rtp/rtp-clock.js';
import { RtpLeg } from '../../../src/sip/rtp/rtp-leg.js';
import { parseRtp, type RtpPacket } from '../../../src/sip/rtp/rtp-packet.js';
import type { UdpAddress } from '../../../src/sip/rtp/source-latch.js';
import type { BindRtpSocket, RtpSocketHandlers } from '../../../src/sip/rtp/udp-socket.js';
import { pcmuAudio } from './pcmu-audio.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

interface Wire {
  sent: Array<{ packet: RtpPacket; to: UdpAddress; atMs: number }>;
  handlers: RtpSocketHandlers[];
  closed: number;
}

function memoryBinder(wire: Wire, t0: number): BindRtpSocket {
  return (_address, _port, handlers) => {
    wire.handlers.push(handlers);
    return Promise.resolve({
      send(packet, to) {
        const parsed = parseRtp(packet);
        if (!parsed.ok) throw new Error(parsed.reason);
        wire.sent.push({ packet: parsed.packet, to, atMs: Date.now() - t0 });
      },
      close() {
        wire.closed += 1;
      },
    });
  };
}

const audio = pcmuAudio({ address: '192.0.2.10', port: 30_000 });

function setup() {
  const wire: Wire = { sent: [], handlers: [], closed: 0 };
  const clock = new SharedRtpClock({ now: () => Date.now() });
  const allocator = new RtpPortAllocator({ minPort: 20_000, maxPort: 20_099 });
  const random = [0xcafef00d, 0xfffe, 0x7fffff00];
  const open = () =>
    RtpLeg.open({
      localAddress: '0.0.0.0',
      audio,
      allocator,
      clock,
      bind: memoryBinder(wire, Date.now()),
      idleAudio: 'none',
      random32: () => random.shift() ?? 1,
    });
  return { wire, clock, allocator, open };
}

describe('RtpLeg pacing (fake timers)', () => {
  it('turns a burst of frames into exactly one packet per 20 ms with the injected SSRC, seq and ts', async () => {
    const { wire, open } = setup();
    const leg = await open();
    for (let k = 0; k < 5; k++) leg.sendAudio(new Int16Array(160).fill(k));
    expect(wire.sent).toHaveLength(0); // nothing leaves outside the clock
    await vi.advanceTimersByTimeAsync(200);
    expect(wire.sent.map((s) => s.atMs)).toEqual([20, 40, 60, 80, 100]);
    expect(wire.sent.map((s) => s.packet.sequenceNumber)).toEqual([0xfffe, 0xffff, 0, 1, 2]);
    expect(wire.sent.map((s) => s.packet.timestamp)).toEqual([0x7fffff00, 0x7fffffa0, 0x80000040, 0x800000e0, 0x80000180]);
    expect(wire.sent.every((s) => s.packet.ssrc === 0xcafef00d)).toBe(true);
    expect(wire.sent.every((s) => s.to.address === '192.0.2.10' && s.to.port === 30_000)).toBe(true);
    leg.close('done');
  });

  it('keeps the call’s paced frames flowing one per slot with a steady queue of the lead', async () => {
    const { wire, open } = setup();
    const leg = await open();
    // The call's playout: three frames of lead at once, then one every 20 ms.
    for (let k = 0; k < 3; k++) leg.sendAudio(new Int16Array(160));
    const depths: number[] = [];
    for (let k = 0; k < 50; k++) {
      await vi.advanceTimersByTimeAsync(20);
      leg.sendAudio(new Int16Array(160));
      depths.push(leg.queuedFrames);
    }
    expect(wire.sent).toHaveLength(50);
    expect(Math.max(...depths)).toBe(3);
    expect(wire.sent.filter((s) => s.packet.marker)).toHaveLength(1);
    leg.close('done');
  });

  it('runs many legs on one timer, and the timer stops with the last leg', async () => {
    const { wire, clock, open } = setup();
    const legs = await Promise.all(Array.from({ length: 20 }, () => open()));
    expect(clock.subscribers).toBe(20);
    expect(vi.getTimerCount()).toBe(1);
    for (const leg of legs) leg.sendAudio(new Int16Array(160));
    await vi.advanceTimersByTimeAsync(20);
    expect(wire.sent).toHaveLength(20);
    for (const leg of legs) leg.close('done');
    expect(vi.getTimerCount()).toBe(0);
    expect(wire.closed).toBe(20);
  });

  it('splits and pads a frame that is not 20 ms', async () => {
    const { wire, open } = setup();
    const leg = await open();
    leg.sendAudio(new Int16Array(200).fill(1000));
    await vi.advanceTimersByTimeAsync(60);
    expect(wire.sent).toHaveLength(2);
    expect(wire.sent.map((s) => s.packet.payload.length)).toEqual([160, 160]);
    // The pad is silence (mu-law 0xFF) after the 40 real samples.
    expect(wire.sent[1]!.packet.payload[39]).not.toBe(0xff);
    expect(wire.sent[1]!.packet.payload[40]).toBe(0xff);
    leg.close('done');
  });

  it('a send that throws is counted, not fatal', async () => {
    const { clock, allocator } = setup();
    const leg = await RtpLeg.open({
      localAddress: '0.0.0.0',
      audio,
      allocator,
      clock,
      bind: () =>
        Promise.resolve({
          send() {
            throw new Error('ENETUNREACH');
          },
          close() {},
        }),
    });
    await vi.advanceTimersByTimeAsync(60);
    expect(leg.counters.sendErrors).toBe(3);
    expect(leg.counters.packetsOut).toBe(0);
    leg.close('done');
  });
});
