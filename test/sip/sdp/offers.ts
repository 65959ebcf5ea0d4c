/**
 * Offers shaped like what real equipment sends (written for these tests; addresses are from the
 * documentation ranges). Joined with CRLF like a SIP body unless a test wants otherwise.
 */
export const crlf = (lines: string[]): string => `${lines.join('\r\n')}\r\n`;

/** A desktop softphone: opus first, then G.722, then G.711; two telephone-event clocks; rtcp-mux. */
export const softphoneOffer = crlf([
  'v=0',
  'o=Z 0 1 IN IP4 192.168.1.23',
  's=Z',
  'c=IN IP4 192.168.1.23',
  't=0 0',
  'm=audio 52710 RTP/AVP 106 9 98 101 0 8 3',
  'a=rtpmap:106 opus/48000/2',
  'a=fmtp:106 sprop-maxcapturerate=16000; minptime=20; useinbandfec=1',
  'a=rtpmap:98 telephone-event/48000',
  'a=fmtp:98 0-16',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=sendrecv',
  'a=rtcp-mux',
]);

/** A carrier SBC preferring A-law, with G.729 and a ptime. */
export const carrierPcmaFirstOffer = crlf([
  'v=0',
  'o=SBC_UAC 24467 17651 IN IP4 203.0.113.10',
  's=SIP Media Capabilities',
  'c=IN IP4 203.0.113.10',
  't=0 0',
  'm=audio 21004 RTP/AVP 8 0 18 101',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:18 G729/8000',
  'a=fmtp:18 annexb=no',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
  'a=sendrecv',
  'a=ptime:20',
  'a=maxptime:20',
]);

/** What a SIPp uac_pcap-style scenario offers: PCMA and event 101, LF line ends. */
export const sippPcmaOffer = [
  'v=0',
  'o=user1 53655765 2353687637 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 6000 RTP/AVP 8 101',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-11,16',
  '',
].join('\n');

/** The carrier's re-INVITE putting the call on hold (sendonly, version bumped). */
export const carrierHoldOffer = carrierPcmaFirstOffer
  .replace('24467 17651', '24467 17652')
  .replace('a=sendrecv', 'a=sendonly');

/** RFC 2543-style hold: unspecified connection address, no direction attribute. */
export const zeroAddressHoldOffer = crlf([
  'v=0',
  'o=- 3861 3862 IN IP4 10.0.0.5',
  's=-',
  'c=IN IP4 0.0.0.0',
  't=0 0',
  'm=audio 16384 RTP/AVP 0 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:101 telephone-event/8000',
]);

/** A video phone: video first, then audio with a media-level c= and no rtpmap for static PT 0. */
export const videoPhoneOffer = crlf([
  'v=0',
  'o=alice 2890844526 2890844527 IN IP4 198.51.100.20',
  's=Video call',
  'b=AS:2048',
  't=0 0',
  'm=video 51372 RTP/AVP 96 97',
  'c=IN IP4 198.51.100.20',
  'a=rtpmap:96 H264/90000',
  'a=fmtp:96 profile-level-id=42e01f;packetization-mode=1',
  'a=rtpmap:97 VP8/90000',
  'a=rtcp-fb:96 nack pli',
  'm=audio 49170 RTP/AVP 0 8 97',
  'c=IN IP4 198.51.100.20',
  'a=rtpmap:97 telephone-event/8000',
  'a=fmtp:97 0-16',
  'a=ptime:30',
]);

/** A trunk that only does G.729. */
export const g729OnlyOffer = crlf([
  'v=0',
  'o=- 1 1 IN IP4 192.0.2.50',
  's=-',
  'c=IN IP4 192.0.2.50',
  't=0 0',
  'm=audio 30000 RTP/AVP 18 101',
  'a=rtpmap:18 G729/8000',
  'a=fmtp:18 annexb=yes',
  'a=rtpmap:101 telephone-event/8000',
]);
