import { describe, expect, it } from 'vitest';
import { answerDirection } from '../../../src/sip/sdp/media-direction.js';
import { SdpAnswerer, buildAnswer } from '../../../src/sip/sdp/build-answer.js';
import { readOffer, type OfferReading } from '../../../src/sip/sdp/read-offer.js';
import {
  carrierHoldOffer,
  carrierPcmaFirstOffer,
  crlf,
  g729OnlyOffer,
  sippPcmaOffer,
  softphoneOffer,
  videoPhoneOffer,
  zeroAddressHoldOffer,
} from './offers.js';

const LOCAL_IP = '198.51.100.7';
const RTP_PORT = 40_000;

function accepted(reading: OfferReading): Extract<OfferReading, { ok: true }> {
  if (!reading.ok) throw new Error(`offer refused: ${reading.reason} ${reading.detail}`);
  return reading;
}

function answerOnce(offer: string): string {
  const { offer: sdp, audio } = accepted(readOffer(offer));
  return new SdpAnswerer({ address: LOCAL_IP, sessionId: '4242' }).answer(sdp, audio, RTP_PORT);
}

describe('SDP answer', () => {
  it('softphone (opus, G.722, PCMU, PCMA): PCMU, the 8 kHz telephone-event, rtcp-mux echoed', () => {
    expect(answerOnce(softphoneOffer)).toBe(
      crlf([
        'v=0',
        'o=- 4242 1 IN IP4 198.51.100.7',
        's=-',
        'c=IN IP4 198.51.100.7',
        't=0 0',
        'm=audio 40000 RTP/AVP 0 101',
        'a=rtpmap:0 PCMU/8000',
        'a=rtpmap:101 telephone-event/8000',
        'a=fmtp:101 0-16',
        'a=ptime:20',
        'a=sendrecv',
        'a=rtcp-mux',
      ]),
    );
    const { audio } = accepted(readOffer(softphoneOffer));
    expect(audio).toMatchObject({
      codec: 'PCMU',
      payloadType: 0,
      telephoneEventPayloadType: 101,
      remote: { address: '192.168.1.23', port: 52710 },
      direction: 'sendrecv',
      rtcpMux: true,
    });
  });

  it('carrier listing PCMA first: PCMA, in the caller’s order of preference', () => {
    expect(answerOnce(carrierPcmaFirstOffer)).toBe(
      crlf([
        'v=0',
        'o=- 4242 1 IN IP4 198.51.100.7',
        's=-',
        'c=IN IP4 198.51.100.7',
        't=0 0',
        'm=audio 40000 RTP/AVP 8 101',
        'a=rtpmap:8 PCMA/8000',
        'a=rtpmap:101 telephone-event/8000',
        'a=fmtp:101 0-16',
        'a=ptime:20',
        'a=sendrecv',
      ]),
    );
    expect(accepted(readOffer(carrierPcmaFirstOffer)).audio.remotePtimeMs).toBe(20);
  });

  it('SIPp-style PCMA + 101 with LF line ends', () => {
    expect(answerOnce(sippPcmaOffer)).toBe(
      crlf([
        'v=0',
        'o=- 4242 1 IN IP4 198.51.100.7',
        's=-',
        'c=IN IP4 198.51.100.7',
        't=0 0',
        'm=audio 40000 RTP/AVP 8 101',
        'a=rtpmap:8 PCMA/8000',
        'a=rtpmap:101 telephone-event/8000',
        'a=fmtp:101 0-16',
        'a=ptime:20',
        'a=sendrecv',
      ]),
    );
    expect(accepted(readOffer(sippPcmaOffer)).audio.remote).toEqual({ address: '127.0.0.1', port: 6000 });
  });

  it('video + audio: video refused with port 0 in its place, audio accepted from static PTs without rtpmap', () => {
    expect(answerOnce(videoPhoneOffer)).toBe(
      crlf([
        'v=0',
        'o=- 4242 1 IN IP4 198.51.100.7',
        's=-',
        'c=IN IP4 198.51.100.7',
        't=0 0',
        'm=video 0 RTP/AVP 96 97',
        'm=audio 40000 RTP/AVP 0 97',
        'a=rtpmap:0 PCMU/8000',
        'a=rtpmap:97 telephone-event/8000',
        'a=fmtp:97 0-16',
        'a=ptime:20',
        'a=sendrecv',
      ]),
    );
    expect(accepted(readOffer(videoPhoneOffer)).audio.mediaIndex).toBe(1);
  });

  it('a dialog: the hold re-INVITE is answered recvonly, the resume sendrecv, the version going up each time', () => {
    const answerer = new SdpAnswerer({ address: LOCAL_IP, sessionId: '4242' });
    const answer = (text: string): string => {
      const { offer, audio } = accepted(readOffer(text));
      return answerer.answer(offer, audio, RTP_PORT);
    };
    const first = answer(carrierPcmaFirstOffer);
    const hold = answer(carrierHoldOffer);
    const resume = answer(carrierPcmaFirstOffer.replace('24467 17651', '24467 17653'));
    expect(first).toContain('o=- 4242 1 IN IP4');
    expect(hold).toContain('o=- 4242 2 IN IP4');
    expect(resume).toContain('o=- 4242 3 IN IP4');
    expect(hold).toContain('\r\na=recvonly\r\n');
    expect(hold).not.toContain('sendrecv');
    expect(resume).toContain('\r\na=sendrecv\r\n');
    expect(answerer.nextVersion).toBe(4);
    // The hold keeps the stream and its address: the carrier may still play music on hold.
    expect(accepted(readOffer(carrierHoldOffer)).audio.remote).toEqual({ address: '203.0.113.10', port: 21004 });
  });

  it('c=0.0.0.0 hold: nowhere to send, so the answer is recvonly', () => {
    const reading = accepted(readOffer(zeroAddressHoldOffer));
    expect(reading.audio.remote).toBeUndefined();
    expect(reading.audio.direction).toBe('recvonly');
    expect(answerOnce(zeroAddressHoldOffer)).toContain('\r\na=recvonly\r\n');
    const inactive = accepted(readOffer(zeroAddressHoldOffer.replace('t=0 0', 't=0 0\r\na=recvonly')));
    expect(inactive.audio.direction).toBe('inactive');
  });

  it.each([
    ['sendrecv', 'sendrecv'],
    ['sendonly', 'recvonly'],
    ['recvonly', 'sendonly'],
    ['inactive', 'inactive'],
  ] as const)('offer a=%s is answered a=%s (media level over session level)', (offered, answered) => {
    expect(answerDirection(offered)).toBe(answered);
    const text = crlf(['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0', 'a=sendonly', 'm=audio 4000 RTP/AVP 0', `a=${offered}`]);
    expect(answerOnce(text)).toContain(`\r\na=${answered}\r\n`);
  });

  it('a session-level direction applies when the m-line has none', () => {
    const text = crlf(['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0', 'a=inactive', 'm=audio 4000 RTP/AVP 0']);
    expect(accepted(readOffer(text)).audio.direction).toBe('inactive');
  });

  it('without telephone-event the answer carries the codec alone', () => {
    const text = crlf(['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0', 'm=audio 4000 RTP/AVP 8 0']);
    const answer = answerOnce(text);
    expect(answer).toContain('\r\nm=audio 40000 RTP/AVP 8\r\n');
    expect(answer).not.toContain('telephone-event');
  });

  it('a dynamic PT mapped to PCMU is used as offered; encoding names are case-insensitive', () => {
    const text = crlf(['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0', 'm=audio 4000 RTP/AVP 96 100', 'a=rtpmap:96 pcmu/8000', 'a=rtpmap:100 Telephone-Event/8000']);
    const { audio } = accepted(readOffer(text));
    expect(audio).toMatchObject({ codec: 'PCMU', payloadType: 96, telephoneEventPayloadType: 100 });
    expect(answerOnce(text)).toContain('\r\nm=audio 40000 RTP/AVP 96 100\r\na=rtpmap:96 PCMU/8000\r\n');
  });

  it('only the first usable audio stream is accepted; a second audio m-line is refused', () => {
    const text = crlf(['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0', 'm=audio 0 RTP/AVP 0', 'm=audio 4000 RTP/SAVP 0', 'm=audio 4002 RTP/AVP 8', 'm=audio 4004 RTP/AVP 0']);
    const answer = answerOnce(text);
    expect(answer).toContain('m=audio 0 RTP/AVP 0\r\nm=audio 0 RTP/SAVP 0\r\nm=audio 40000 RTP/AVP 8\r\n');
    expect(answer.endsWith('a=sendrecv\r\nm=audio 0 RTP/AVP 0\r\n')).toBe(true);
  });

  it('G.729 only: no_acceptable_codec (488)', () => {
    const reading = readOffer(g729OnlyOffer);
    expect(reading).toMatchObject({ ok: false, reason: 'no_acceptable_codec' });
  });

  it('PCMU at the wrong clock rate or in stereo is not acceptable', () => {
    const text = crlf(['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0', 'm=audio 4000 RTP/AVP 96 97', 'a=rtpmap:96 PCMU/16000', 'a=rtpmap:97 PCMA/8000/2']);
    expect(readOffer(text)).toMatchObject({ ok: false, reason: 'no_acceptable_codec' });
  });

  it.each([
    ['SRTP only', crlf(['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0', 'm=audio 4000 RTP/SAVP 0'])],
    ['video only', crlf(['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0', 'm=video 4000 RTP/AVP 96'])],
    ['T.38 image', crlf(['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0', 'm=image 4000 udptl t38'])],
    ['a host name in c=', crlf(['v=0', 'o=- 1 1 IN IP4 pbx.example.com', 's=-', 'c=IN IP4 pbx.example.com', 't=0 0', 'm=audio 4000 RTP/AVP 0'])],
    ['no m-line at all', crlf(['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0'])],
  ])('%s: no_audio_stream (488)', (_name, text) => {
    expect(readOffer(text)).toMatchObject({ ok: false, reason: 'no_audio_stream' });
  });

  it('a malformed offer: malformed_sdp with the parser’s reason', () => {
    const reading = readOffer(crlf(['v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 'm=audio 4000 RTP/AVP']));
    expect(reading).toMatchObject({ ok: false, reason: 'malformed_sdp' });
    if (!reading.ok) expect(reading.detail).toMatch(/malformed m=/);
  });

  it('an IPv6 local address is written as IP6', () => {
    const { offer, audio } = accepted(readOffer(sippPcmaOffer));
    const answer = buildAnswer(offer, audio, { address: '2001:db8::7', port: 40_002 }, { sessionId: '9', version: 5 });
    expect(answer).toContain('o=- 9 5 IN IP6 2001:db8::7\r\ns=-\r\nc=IN IP6 2001:db8::7\r\n');
  });

  it('a new answerer draws its own numeric session id', () => {
    const a = new SdpAnswerer({ address: LOCAL_IP });
    const b = new SdpAnswerer({ address: LOCAL_IP });
    expect(a.sessionId).toMatch(/^\d+$/);
    expect(a.sessionId).not.toBe(b.sessionId);
  });
});
