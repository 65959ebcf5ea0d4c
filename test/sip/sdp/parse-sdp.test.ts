import { describe, expect, it } from 'vitest';
import { parseSdp, payloadTypes, SdpParseError } from '../../../src/sip/sdp/parse-sdp.js';
import { crlf, softphoneOffer, videoPhoneOffer } from './offers.js';

describe('parseSdp', () => {
  it('reads origin, connection, the m-line format order, rtpmaps, fmtps, direction and rtcp-mux', () => {
    const sdp = parseSdp(softphoneOffer);
    expect(sdp.origin).toEqual({
      username: 'Z',
      sessionId: '0',
      sessionVersion: '1',
      addressType: 'IP4',
      address: '192.168.1.23',
    });
    expect(sdp.connection).toEqual({ addressType: 'IP4', address: '192.168.1.23' });
    expect(sdp.media).toHaveLength(1);
    const audio = sdp.media[0]!;
    expect(audio.media).toBe('audio');
    expect(audio.port).toBe(52710);
    expect(audio.protocol).toBe('RTP/AVP');
    expect(payloadTypes(audio)).toEqual([106, 9, 98, 101, 0, 8, 3]);
    expect(audio.rtpMaps).toContainEqual({ payloadType: 106, encodingName: 'opus', clockRateHz: 48_000, channels: 2 });
    expect(audio.rtpMaps).toContainEqual({ payloadType: 101, encodingName: 'telephone-event', clockRateHz: 8000 });
    expect(audio.fmtps.get('101')).toBe('0-16');
    expect(audio.direction).toBe('sendrecv');
    expect(audio.rtcpMux).toBe(true);
  });

  it('keeps media-level c= and ptime per m-line, and tolerates b= and unknown attributes', () => {
    const sdp = parseSdp(videoPhoneOffer);
    expect(sdp.connection).toBeUndefined();
    expect(sdp.media.map((m) => m.media)).toEqual(['video', 'audio']);
    expect(sdp.media[1]!.connection).toEqual({ addressType: 'IP4', address: '198.51.100.20' });
    expect(sdp.media[1]!.ptimeMs).toBe(30);
    expect(sdp.media[0]!.attributes).toContainEqual({ name: 'rtcp-fb', value: '96 nack pli' });
  });

  it('puts a direction before the first m-line at session level', () => {
    const sdp = parseSdp(crlf(['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0', 'a=inactive', 'm=audio 4000 RTP/AVP 0']));
    expect(sdp.direction).toBe('inactive');
    expect(sdp.media[0]!.direction).toBeUndefined();
  });

  it('tolerates LF line ends, blank lines, trailing spaces, unknown line types and a port count', () => {
    const text = ['v=0', 'o=- 7 7 IN IP4 192.0.2.1  ', '', 'x=whatever', 's=-', 'c=IN IP4 224.2.1.1/127', 'm=audio 4000/2 RTP/AVP 0', 'a=foo:bar'].join('\n');
    const sdp = parseSdp(text);
    expect(sdp.connection?.address).toBe('224.2.1.1');
    expect(sdp.media[0]!.port).toBe(4000);
  });

  it('parses IPv6 connections', () => {
    const sdp = parseSdp(crlf(['v=0', 'o=- 1 1 IN IP6 2001:db8::1', 's=-', 'c=IN IP6 2001:db8::1', 't=0 0', 'm=audio 4000 RTP/AVP 8']));
    expect(sdp.connection).toEqual({ addressType: 'IP6', address: '2001:db8::1' });
  });

  const base = ['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0'];
  it.each([
    ['an empty body', ''],
    ['no v= first', crlf(base.slice(1))],
    ['v=1', crlf(['v=1', ...base.slice(1)])],
    ['no o=', crlf([base[0]!, ...base.slice(2), 'm=audio 4000 RTP/AVP 0'])],
    ['a short o=', crlf(['v=0', 'o=- 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 'm=audio 4000 RTP/AVP 0'])],
    ['a line that is not type=value', crlf([...base, 'garbage line', 'm=audio 4000 RTP/AVP 0'])],
    ['a non-numeric port', crlf([...base, 'm=audio abc RTP/AVP 0'])],
    ['a port above 65535', crlf([...base, 'm=audio 70000 RTP/AVP 0'])],
    ['an m-line without formats', crlf([...base, 'm=audio 4000 RTP/AVP'])],
    ['c= with an unknown address type', crlf(['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IPX 192.0.2.1', 'm=audio 4000 RTP/AVP 0'])],
    ['c= without an address', crlf(['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4', 'm=audio 4000 RTP/AVP 0'])],
    ['a stream with no connection anywhere', crlf(['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 't=0 0', 'm=audio 4000 RTP/AVP 0'])],
    ['a malformed rtpmap', crlf([...base, 'm=audio 4000 RTP/AVP 0 101', 'a=rtpmap:101 telephone-event'])],
    ['an rtpmap for PT 200', crlf([...base, 'm=audio 4000 RTP/AVP 0', 'a=rtpmap:200 PCMU/8000'])],
    ['a non-numeric ptime', crlf([...base, 'm=audio 4000 RTP/AVP 0', 'a=ptime:twenty'])],
  ])('rejects %s with SdpParseError', (_name, text) => {
    expect(() => parseSdp(text)).toThrow(SdpParseError);
  });

  it('names the offending line', () => {
    try {
      parseSdp(crlf([...base, 'm=audio abc RTP/AVP 0']));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(SdpParseError);
      expect((err as SdpParseError).line).toBe(6);
    }
  });
});
