import { describe, expect, it } from 'vitest';
import { isRtcp, parseRtp, sequenceDelta, serializeRtp, type RtpHeader } from '../../../src/sip/rtp/rtp-packet.js';

const header: RtpHeader = { marker: true, payloadType: 8, sequenceNumber: 65_535, timestamp: 0xfffffff0, ssrc: 0xdeadbeef };

function parsed(data: Uint8Array) {
  const result = parseRtp(data);
  if (!result.ok) throw new Error(`rejected: ${result.reason}`);
  return result.packet;
}

describe('RTP packet', () => {
  it('writes the RFC 3550 fixed header bit for bit', () => {
    const packet = serializeRtp(header, new Uint8Array([1, 2, 3]));
    expect([...packet]).toEqual([0x80, 0x88, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf0, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3]);
  });

  it('round-trips header fields and payload', () => {
    const packet = parsed(serializeRtp({ ...header, marker: false, payloadType: 0 }, new Uint8Array(160).fill(0xff)));
    expect(packet).toMatchObject({ marker: false, payloadType: 0, sequenceNumber: 65_535, timestamp: 0xfffffff0, ssrc: 0xdeadbeef, csrcs: [] });
    expect(packet.payload).toHaveLength(160);
    expect(packet.extension).toBeUndefined();
  });

  it('skips CSRCs and a header extension and strips padding', () => {
    const payload = new Uint8Array([9, 8, 7, 6]);
    const data = serializeRtp(header, payload, {
      csrcs: [1, 2],
      extension: { profile: 0xbede, data: new Uint8Array([0x10, 0xaa, 0, 0]) },
      paddingBytes: 3,
    });
    expect(data).toHaveLength(12 + 8 + 4 + 4 + 4 + 3);
    const packet = parsed(data);
    expect(packet.csrcs).toEqual([1, 2]);
    expect(packet.extension?.profile).toBe(0xbede);
    expect([...packet.extension!.data]).toEqual([0x10, 0xaa, 0, 0]);
    expect([...packet.payload]).toEqual([9, 8, 7, 6]);
  });

  it('parses from a view into a larger buffer (as node hands datagrams over)', () => {
    const wire = serializeRtp(header, new Uint8Array([5, 6]));
    const big = new Uint8Array(wire.length + 10);
    big.set(wire, 7);
    expect([...parsed(big.subarray(7, 7 + wire.length)).payload]).toEqual([5, 6]);
  });

  it.each([
    ['too_short', new Uint8Array(11).fill(0x80)],
    ['bad_version', (() => { const d = serializeRtp(header, new Uint8Array(4)); d[0] = 0x40; return d; })()],
    ['bad_version', new Uint8Array([0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])],
    ['bad_csrc_count', (() => { const d = serializeRtp(header, new Uint8Array(4)); d[0] = 0x80 | 3; return d; })()],
    ['bad_extension', (() => { const d = serializeRtp(header, new Uint8Array(2)); d[0] = 0x90; return d; })()],
    ['bad_extension', (() => { const d = serializeRtp(header, new Uint8Array([0, 0, 0, 9])); d[0] = 0x90; return d; })()],
    ['bad_padding', (() => { const d = serializeRtp(header, new Uint8Array([1, 2, 3, 40])); d[0] = 0xa0; return d; })()],
    ['bad_padding', (() => { const d = serializeRtp(header, new Uint8Array([1, 2, 3, 0])); d[0] = 0xa0; return d; })()],
  ])('rejects %s', (reason, data) => {
    expect(parseRtp(data)).toEqual({ ok: false, reason });
  });

  it('accepts an empty payload (keepalive) and padding that fills the whole rest', () => {
    expect(parsed(serializeRtp(header, new Uint8Array(0))).payload).toHaveLength(0);
    expect(parsed(serializeRtp(header, new Uint8Array(0), { paddingBytes: 4 })).payload).toHaveLength(0);
  });

  it('tells multiplexed RTCP (PT 200–204) from RTP', () => {
    const receiverReport = new Uint8Array([0x80, 201, 0x00, 0x01, 0, 0, 0, 1]);
    expect(isRtcp(receiverReport)).toBe(true);
    expect(isRtcp(serializeRtp(header, new Uint8Array(160)))).toBe(false);
    expect(isRtcp(serializeRtp({ ...header, payloadType: 101 }, new Uint8Array(4)))).toBe(false);
  });

  it('measures sequence distance across the 16-bit wrap', () => {
    expect(sequenceDelta(0, 65_535)).toBe(1);
    expect(sequenceDelta(65_535, 0)).toBe(-1);
    expect(sequenceDelta(10, 5)).toBe(5);
    expect(sequenceDelta(5, 10)).toBe(-5);
    expect(sequenceDelta(32_767, 0)).toBe(32_767);
    expect(sequenceDelta(32_768, 0)).toBe(-32_768);
  });
});
