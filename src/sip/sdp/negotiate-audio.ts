/**
 * Decides what we accept from an offer: one audio stream carrying PCMU or PCMA (whichever the
 * caller lists first), plus RFC 4733 telephone-event when offered. Everything else is refused,
 * and refusing the whole offer is a typed result, not an exception, because it is an ordinary
 * outcome (a G.729-only trunk) that the SIP layer answers with 488.
 */
import { isIP } from 'node:net';
import { answerDirection, withoutReceive, type MediaDirection } from './media-direction.js';
import { payloadTypes } from './parse-sdp.js';
import {
  isUnspecifiedAddress,
  mediaConnection,
  mediaDirection,
  type SdpMedia,
  type SdpRtpMap,
  type SessionDescription,
} from './session-description.js';

export type G711Codec = 'PCMU' | 'PCMA';

/** RTP profiles we can answer: plain RTP. AVPF is AVP plus optional feedback we never request. */
const ACCEPTED_PROTOCOLS = new Set(['RTP/AVP', 'RTP/AVPF']);

/** Static assignments (RFC 3551) that may be offered without an rtpmap line. */
const STATIC_PAYLOAD_TYPES = new Map<number, SdpRtpMap>([
  [0, { payloadType: 0, encodingName: 'PCMU', clockRateHz: 8000 }],
  [8, { payloadType: 8, encodingName: 'PCMA', clockRateHz: 8000 }],
]);

export interface RemoteRtpAddress {
  address: string;
  port: number;
}

export interface NegotiatedAudio {
  /** Index of the accepted m-line in the offer. */
  mediaIndex: number;
  /** Profile as offered (`RTP/AVP` or `RTP/AVPF`); the answer echoes it. */
  protocol: string;
  codec: G711Codec;
  /** Payload type the codec uses in both directions (0, 8, or the offer's dynamic number). */
  payloadType: number;
  /** The offer's telephone-event/8000 payload type, when it offered one. */
  telephoneEventPayloadType?: number;
  /**
   * Where the offer says to send RTP; undefined when it must not be sent to (c=0.0.0.0 hold).
   * Symmetric RTP may later replace it with the address packets actually come from.
   */
  remote?: RemoteRtpAddress;
  /** Our direction, as the answer states it. */
  direction: MediaDirection;
  rtcpMux: boolean;
  /** The offer's a=ptime, for information: we always send 20 ms packets. */
  remotePtimeMs?: number;
}

export type AudioRejection = 'no_audio_stream' | 'no_acceptable_codec';

export type AudioNegotiation =
  | { ok: true; audio: NegotiatedAudio }
  | { ok: false; reason: AudioRejection; detail: string };

function rtpMapFor(media: SdpMedia, payloadType: number): SdpRtpMap | undefined {
  return media.rtpMaps.find((m) => m.payloadType === payloadType) ?? STATIC_PAYLOAD_TYPES.get(payloadType);
}

function g711Codec(rtpMap: SdpRtpMap): G711Codec | undefined {
  if (rtpMap.clockRateHz !== 8000 || (rtpMap.channels !== undefined && rtpMap.channels !== 1)) return undefined;
  const name = rtpMap.encodingName.toUpperCase();
  return name === 'PCMU' || name === 'PCMA' ? name : undefined;
}

function isTelephoneEvent(rtpMap: SdpRtpMap): boolean {
  return rtpMap.encodingName.toLowerCase() === 'telephone-event' && rtpMap.clockRateHz === 8000;
}

/** Why an audio m-line cannot carry our stream, or undefined if it can. */
function unusableBecause(sdp: SessionDescription, media: SdpMedia): string | undefined {
  if (media.port === 0) return 'stream disabled (port 0)';
  if (!ACCEPTED_PROTOCOLS.has(media.protocol)) return `unsupported profile ${media.protocol}`;
  const connection = mediaConnection(sdp, media);
  if (!connection) return 'no connection address';
  // A host name would need a DNS lookup on every send; nobody offers one in practice.
  if (isIP(connection.address) === 0) return `connection address ${connection.address} is not an IP literal`;
  return undefined;
}

function negotiateStream(sdp: SessionDescription, media: SdpMedia, mediaIndex: number): NegotiatedAudio | undefined {
  let codec: { codec: G711Codec; payloadType: number } | undefined;
  let telephoneEventPayloadType: number | undefined;
  for (const payloadType of payloadTypes(media)) {
    const rtpMap = rtpMapFor(media, payloadType);
    if (!rtpMap) continue;
    const g711 = g711Codec(rtpMap);
    // The caller's order of preference decides between PCMU and PCMA.
    if (g711 && !codec) codec = { codec: g711, payloadType };
    if (isTelephoneEvent(rtpMap) && telephoneEventPayloadType === undefined) telephoneEventPayloadType = payloadType;
  }
  if (!codec) return undefined;

  const connection = mediaConnection(sdp, media)!;
  const hold = isUnspecifiedAddress(connection);
  const offered = mediaDirection(sdp, media);
  const audio: NegotiatedAudio = {
    mediaIndex,
    protocol: media.protocol,
    ...codec,
    direction: answerDirection(hold ? withoutReceive(offered) : offered),
    rtcpMux: media.rtcpMux,
  };
  if (telephoneEventPayloadType !== undefined) audio.telephoneEventPayloadType = telephoneEventPayloadType;
  if (!hold) audio.remote = { address: connection.address, port: media.port };
  if (media.ptimeMs !== undefined) audio.remotePtimeMs = media.ptimeMs;
  return audio;
}

/** Picks the first audio m-line we can serve; the others will be answered with port 0. */
export function negotiateAudio(sdp: SessionDescription): AudioNegotiation {
  const problems: string[] = [];
  let sawUsableStream = false;
  for (const [index, media] of sdp.media.entries()) {
    if (media.media !== 'audio') continue;
    const problem = unusableBecause(sdp, media);
    if (problem) {
      problems.push(`m-line ${index + 1}: ${problem}`);
      continue;
    }
    sawUsableStream = true;
    const audio = negotiateStream(sdp, media, index);
    if (audio) return { ok: true, audio };
    problems.push(`m-line ${index + 1}: none of ${media.formats.join(' ')} is PCMU or PCMA at 8000 Hz`);
  }
  if (!sawUsableStream) {
    return { ok: false, reason: 'no_audio_stream', detail: problems.join('; ') || 'no audio m-line' };
  }
  return { ok: false, reason: 'no_acceptable_codec', detail: problems.join('; ') };
}
