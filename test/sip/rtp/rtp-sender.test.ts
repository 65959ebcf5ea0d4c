import { describe, expect, it } from 'vitest';
import { parseRtp, type RtpPacket } from '../../../src/sip/rtp/rtp-packet.js';
import { RtpSender, type RtpSenderOptions } from '../../../src/sip/rtp/rtp-sender.js';

function setup(overrides: Partial<RtpSenderOptions> = {}) {
  const sent: RtpPacket[] = [];
  const sender = new RtpSender({
    payloadType: 0,
    ssrc: 0x12345678,
    initialSequence: 65_534,
    initialTimestamp: 0xffffff00,
    samplesPerSlot: 160,
    maxQueuedFrames: 5,
    transmit: (packet) => {
      const parsed = parseRtp(packet);
      if (!parsed.ok) throw new Error(parsed.reason);
      sent.push(parsed.packet);
    },
    ...overrides,
  });
  return { sender, sent };
}

const frame = (fill: number) => new Uint8Array(160).fill(fill);

describe('RtpSender', () => {
  it('sends one packet per slot with seq +1 and timestamp +160, both wrapping', () => {
    const { sender, sent } = setup();
    for (let i = 0; i < 4; i++) sender.enqueue(frame(i));
    for (let slot = 10; slot < 14; slot++) sender.onSlot(slot);
    expect(sent.map((p) => p.sequenceNumber)).toEqual([65_534, 65_535, 0, 1]);
    expect(sent.map((p) => p.timestamp)).toEqual([0xffffff00, 0xffffffa0, 0x40, 0xe0]);
    expect(sent.map((p) => p.payload[0])).toEqual([0, 1, 2, 3]);
    expect(sent.every((p) => p.ssrc === 0x12345678 && p.payloadType === 0)).toBe(true);
    expect(sender.packetsSent).toBe(4);
  });

  it('sends nothing when idle without an idle payload, and marks the first packet of each talk-spurt', () => {
    const { sender, sent } = setup();
    sender.enqueue(frame(1));
    sender.enqueue(frame(2));
    sender.onSlot(0);
    sender.onSlot(1);
    sender.onSlot(2); // nothing queued: a gap
    sender.onSlot(3);
    sender.enqueue(frame(3));
    sender.onSlot(4);
    expect(sent.map((p) => p.marker)).toEqual([true, false, true]);
    // Sequence numbers stay contiguous; timestamps jump by the elapsed slots.
    expect(sent.map((p) => p.sequenceNumber)).toEqual([65_534, 65_535, 0]);
    expect((sent[2]!.timestamp - sent[1]!.timestamp) >>> 0).toBe(3 * 160);
  });

  it('with an idle payload the stream is continuous and only its first packet is marked', () => {
    const silence = new Uint8Array(160).fill(0xff);
    const { sender, sent } = setup({ idlePayload: silence });
    sender.onSlot(0);
    sender.enqueue(frame(7));
    sender.onSlot(1);
    sender.onSlot(2);
    expect(sent.map((p) => p.payload[0])).toEqual([0xff, 7, 0xff]);
    expect(sent.map((p) => p.marker)).toEqual([true, false, false]);
  });

  it('clear() drops everything queued at once', () => {
    const { sender, sent } = setup();
    for (let i = 0; i < 3; i++) sender.enqueue(frame(i));
    sender.onSlot(0);
    expect(sender.clear()).toBe(2);
    sender.onSlot(1);
    sender.onSlot(2);
    expect(sent).toHaveLength(1);
    expect(sender.queuedFrames).toBe(0);
  });

  it('bounds the queue and counts what it drops', () => {
    const { sender } = setup();
    for (let i = 0; i < 8; i++) sender.enqueue(frame(i));
    expect(sender.queuedFrames).toBe(5);
    expect(sender.framesDropped).toBe(3);
  });

  it('paused (hold): drops the queue, refuses frames and idle audio, and marks the packet after resuming', () => {
    const { sender, sent } = setup({ idlePayload: new Uint8Array(160) });
    sender.onSlot(0);
    sender.enqueue(frame(1));
    sender.setPaused(true);
    expect(sender.queuedFrames).toBe(0);
    expect(sender.enqueue(frame(2))).toBe(false);
    sender.onSlot(1);
    sender.onSlot(2);
    sender.setPaused(false);
    sender.onSlot(3);
    expect(sent).toHaveLength(2);
    expect(sent[1]!.marker).toBe(true);
    expect((sent[1]!.timestamp - sent[0]!.timestamp) >>> 0).toBe(3 * 160);
    expect(sender.framesDropped).toBe(0);
  });

  it('does not let the queue array creep while it never runs empty', () => {
    const { sender, sent } = setup({ maxQueuedFrames: 4 });
    for (let slot = 0; slot < 1000; slot++) {
      sender.enqueue(frame(slot & 0xff));
      if (slot === 0) sender.enqueue(frame(0));
      sender.onSlot(slot);
    }
    expect(sender.queuedFrames).toBe(1);
    expect(sent).toHaveLength(1000);
  });
});
