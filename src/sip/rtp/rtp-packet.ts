/**
 * RTP fixed header (RFC 3550 §5.1), parsed by hand: twelve bytes, then CSRCs and an optional
 * header extension to skip, then padding to strip. A library would add a dependency for less
 * than this file. Parsing returns a result instead of throwing because garbage on a public UDP
 * port is routine (scanners, STUN, stray RTCP) and is counted, not treated as an error.
 */
const FIXED_HEADER_BYTES = 12;
const RTP_VERSION = 2;

export interface RtpHeader {
  marker: boolean;
  payloadType: number;
  /** 16-bit, wraps. */
  sequenceNumber: number;
  /** 32-bit sampling-clock timestamp, wraps. */
  timestamp: number;
  ssrc: number;
}

export interface RtpPacket extends RtpHeader {
  csrcs: number[];
  /** Header extension (RFC 3550 §5.3.1), when present; its content is not interpreted. */
  extension?: { profile: number; data: Uint8Array };
  /** Payload without padding; a view into the received buffer. */
  payload: Uint8Array;
}

export type RtpRejectReason = 'too_short' | 'bad_version' | 'bad_csrc_count' | 'bad_extension' | 'bad_padding';

export type RtpParseResult = { ok: true; packet: RtpPacket } | { ok: false; reason: RtpRejectReason };

function reject(reason: RtpRejectReason): RtpParseResult {
  return { ok: false, reason };
}

/**
 * RTCP multiplexed onto the RTP port (RFC 5761 §4): RTCP packet types 192–223 sit where RTP has
 * the marker bit and payload types 64–95, which no audio profile assigns.
 */
export function isRtcp(data: Uint8Array): boolean {
  const second = data[1];
  return data.length >= 8 && second !== undefined && second >= 192 && second <= 223;
}

export function parseRtp(data: Uint8Array): RtpParseResult {
  if (data.length < FIXED_HEADER_BYTES) return reject('too_short');
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const first = data[0]!;
  if (first >> 6 !== RTP_VERSION) return reject('bad_version');
  const hasPadding = (first & 0x20) !== 0;
  const hasExtension = (first & 0x10) !== 0;
  const csrcCount = first & 0x0f;
  const second = data[1]!;

  let offset = FIXED_HEADER_BYTES;
  if (offset + csrcCount * 4 > data.length) return reject('bad_csrc_count');
  const csrcs: number[] = [];
  for (let i = 0; i < csrcCount; i++, offset += 4) csrcs.push(view.getUint32(offset));

  let extension: RtpPacket['extension'];
  if (hasExtension) {
    if (offset + 4 > data.length) return reject('bad_extension');
    const profile = view.getUint16(offset);
    const words = view.getUint16(offset + 2);
    offset += 4;
    if (offset + words * 4 > data.length) return reject('bad_extension');
    extension = { profile, data: data.subarray(offset, offset + words * 4) };
    offset += words * 4;
  }

  let end = data.length;
  if (hasPadding) {
    // The last octet counts the padding, itself included, so it is at least 1.
    const padding = data[data.length - 1]!;
    if (padding === 0 || offset + padding > data.length) return reject('bad_padding');
    end -= padding;
  }

  const packet: RtpPacket = {
    marker: (second & 0x80) !== 0,
    payloadType: second & 0x7f,
    sequenceNumber: view.getUint16(2),
    timestamp: view.getUint32(4),
    ssrc: view.getUint32(8),
    csrcs,
    payload: data.subarray(offset, end),
  };
  if (extension) packet.extension = extension;
  return { ok: true, packet };
}

/** What `serializeRtp` can write beyond the fixed header; the bridge itself sends none of it. */
export interface RtpWriteExtras {
  csrcs?: number[];
  extension?: { profile: number; data: Uint8Array };
  /** Padding octets to append (1–255), the count in the last one. */
  paddingBytes?: number;
}

export function serializeRtp(header: RtpHeader, payload: Uint8Array, extras: RtpWriteExtras = {}): Buffer {
  const csrcs = extras.csrcs ?? [];
  const extension = extras.extension;
  const padding = extras.paddingBytes ?? 0;
  if (csrcs.length > 15) throw new RangeError('at most 15 CSRCs');
  if (extension && extension.data.length % 4 !== 0) throw new RangeError('extension data must be whole 32-bit words');
  if (padding < 0 || padding > 255) throw new RangeError('padding must be 0–255 octets');
  const extensionBytes = extension ? 4 + extension.data.length : 0;
  const headerBytes = FIXED_HEADER_BYTES + csrcs.length * 4 + extensionBytes;
  const packet = Buffer.allocUnsafe(headerBytes + payload.length + padding);

  packet[0] = (RTP_VERSION << 6) | (padding > 0 ? 0x20 : 0) | (extension ? 0x10 : 0) | csrcs.length;
  packet[1] = (header.marker ? 0x80 : 0) | (header.payloadType & 0x7f);
  packet.writeUInt16BE(header.sequenceNumber & 0xffff, 2);
  packet.writeUInt32BE(header.timestamp >>> 0, 4);
  packet.writeUInt32BE(header.ssrc >>> 0, 8);
  let offset = FIXED_HEADER_BYTES;
  for (const csrc of csrcs) {
    packet.writeUInt32BE(csrc >>> 0, offset);
    offset += 4;
  }
  if (extension) {
    packet.writeUInt16BE(extension.profile, offset);
    packet.writeUInt16BE(extension.data.length / 4, offset + 2);
    packet.set(extension.data, offset + 4);
    offset += extensionBytes;
  }
  packet.set(payload, offset);
  offset += payload.length;
  if (padding > 0) {
    packet.fill(0, offset, offset + padding - 1);
    packet[offset + padding - 1] = padding;
  }
  return packet;
}

/**
 * Signed distance from `from` to `to` in 16-bit sequence space: positive when `to` is newer.
 * Wraparound (65535 → 0) is a distance of 1.
 */
export function sequenceDelta(to: number, from: number): number {
  return (((to - from) & 0xffff) << 16) >> 16;
}
