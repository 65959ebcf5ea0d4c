/** The negotiated audio the RTP tests start from: PCMU on payload type 0, telephone-event 101, send and receive. */
import type { NegotiatedAudio } from '../../../src/sip/sdp/negotiate-audio.js';

export function pcmuAudio(
  remote: { address: string; port: number } | undefined,
  overrides: Partial<NegotiatedAudio> = {},
): NegotiatedAudio {
  const audio: NegotiatedAudio = {
    mediaIndex: 0,
    protocol: 'RTP/AVP',
    codec: 'PCMU',
    payloadType: 0,
    telephoneEventPayloadType: 101,
    direction: 'sendrecv',
    rtcpMux: false,
    ...overrides,
  };
  if (remote) audio.remote = remote;
  return audio;
}
