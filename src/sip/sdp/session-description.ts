/**
 * A parsed SDP body (RFC 4566), reduced to what offer/answer for a G.711 voice call needs. Lines
 * the bridge has no use for (b=, k=, i=, ICE and crypto attributes, …) are not kept, except that
 * every media-level attribute stays available in `attributes` for logging and for later needs.
 */
import type { MediaDirection } from './media-direction.js';

export interface SdpConnection {
  addressType: 'IP4' | 'IP6';
  /** The address without any multicast TTL/count suffix. */
  address: string;
}

export interface SdpOrigin {
  username: string;
  sessionId: string;
  sessionVersion: string;
  addressType: string;
  address: string;
}

export interface SdpRtpMap {
  payloadType: number;
  encodingName: string;
  clockRateHz: number;
  channels?: number;
}

export interface SdpAttribute {
  name: string;
  /** Text after the first colon; undefined for flag attributes such as `a=rtcp-mux`. */
  value?: string;
}

export interface SdpMedia {
  /** `audio`, `video`, `application`, `image`, … as written. */
  media: string;
  /** 0 means the stream is disabled (or, in an answer, rejected). */
  port: number;
  /** `RTP/AVP`, `RTP/SAVP`, `UDP/TLS/RTP/SAVPF`, `udptl`, … as written. */
  protocol: string;
  /** Format list in the offerer's order of preference; payload type numbers for RTP profiles. */
  formats: string[];
  /** Media-level c=, when present (it overrides the session's). */
  connection?: SdpConnection;
  rtpMaps: SdpRtpMap[];
  /** fmtp parameters by format, as written. */
  fmtps: Map<string, string>;
  ptimeMs?: number;
  /** Media-level direction attribute, when present. */
  direction?: MediaDirection;
  rtcpMux: boolean;
  attributes: SdpAttribute[];
}

export interface SessionDescription {
  origin: SdpOrigin;
  /** Session-level c=, when present. */
  connection?: SdpConnection;
  /** Session-level direction attribute, when present (media-level ones override it). */
  direction?: MediaDirection;
  media: SdpMedia[];
}

/** The connection that applies to a media section: its own c= or else the session's. */
export function mediaConnection(sdp: SessionDescription, media: SdpMedia): SdpConnection | undefined {
  return media.connection ?? sdp.connection;
}

/** The direction that applies to a media section as the writer meant it (sendrecv by default). */
export function mediaDirection(sdp: SessionDescription, media: SdpMedia): MediaDirection {
  return media.direction ?? sdp.direction ?? 'sendrecv';
}

/** 0.0.0.0 / :: in c= means "do not send to me" (old-style hold). */
export function isUnspecifiedAddress(connection: SdpConnection): boolean {
  return connection.address === '0.0.0.0' || connection.address === '::';
}
