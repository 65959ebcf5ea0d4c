/**
 * The SDP answer (RFC 3264 §6): one m-line per offered m-line, in the same order. The audio
 * stream we accepted carries exactly one G.711 codec plus telephone-event, so the far end cannot
 * switch codecs mid-call; every other stream is refused with port 0 and its offered formats
 * (an m-line must list at least one).
 */
import { randomInt } from 'node:crypto';
import { isIP } from 'node:net';
import type { NegotiatedAudio } from './negotiate-audio.js';
import type { SdpMedia, SessionDescription } from './session-description.js';

/** Where we receive RTP, as the far end should address it. */
export interface LocalRtpEndpoint {
  /** The address put in o= and c= (the public one when the bridge is behind 1:1 NAT). */
  address: string;
  port: number;
}

export interface SdpOriginStamp {
  sessionId: string;
  version: number;
}

/** Events 0–16: the digits, *, #, A–D and flash, which is all a phone keypad produces. */
const TELEPHONE_EVENTS = '0-16';
const PTIME_MS = 20;

function addressType(address: string): 'IP4' | 'IP6' {
  return isIP(address) === 6 ? 'IP6' : 'IP4';
}

function rejectedLine(media: SdpMedia): string {
  return `m=${media.media} 0 ${media.protocol} ${media.formats.join(' ')}`;
}

function audioLines(audio: NegotiatedAudio, port: number): string[] {
  const te = audio.telephoneEventPayloadType;
  const formats = te === undefined ? `${audio.payloadType}` : `${audio.payloadType} ${te}`;
  const lines = [`m=audio ${port} ${audio.protocol} ${formats}`, `a=rtpmap:${audio.payloadType} ${audio.codec}/8000`];
  if (te !== undefined) lines.push(`a=rtpmap:${te} telephone-event/8000`, `a=fmtp:${te} ${TELEPHONE_EVENTS}`);
  lines.push(`a=ptime:${PTIME_MS}`, `a=${audio.direction}`);
  // We never send RTCP, so accepting mux costs nothing and spares the far end a second port.
  if (audio.rtcpMux) lines.push('a=rtcp-mux');
  return lines;
}

/** The answer text, CRLF-terminated lines as SIP bodies expect. */
export function buildAnswer(
  offer: SessionDescription,
  audio: NegotiatedAudio,
  local: LocalRtpEndpoint,
  origin: SdpOriginStamp,
): string {
  const type = addressType(local.address);
  const lines = [
    'v=0',
    `o=- ${origin.sessionId} ${origin.version} IN ${type} ${local.address}`,
    's=-',
    `c=IN ${type} ${local.address}`,
    't=0 0',
  ];
  for (const [index, media] of offer.media.entries()) {
    if (index === audio.mediaIndex) lines.push(...audioLines(audio, local.port));
    else lines.push(rejectedLine(media));
  }
  return `${lines.join('\r\n')}\r\n`;
}

/**
 * Our side of one dialog's SDP: a fixed session id and a version that goes up with every answer
 * we give in the dialog (RFC 3264 §8 requires it to change whenever the SDP does; bumping it on
 * every answer is always allowed and spares comparing bodies).
 */
export class SdpAnswerer {
  readonly sessionId: string;
  readonly #address: string;
  #nextVersion: number;

  constructor(opts: { address: string; sessionId?: string; firstVersion?: number }) {
    this.#address = opts.address;
    // RFC 4566 suggests an NTP timestamp; any number unique to the dialog does the job.
    this.sessionId = opts.sessionId ?? String(randomInt(1, 2 ** 47));
    this.#nextVersion = opts.firstVersion ?? 1;
  }

  /** Version the next answer will carry. */
  get nextVersion(): number {
    return this.#nextVersion;
  }

  answer(offer: SessionDescription, audio: NegotiatedAudio, rtpPort: number): string {
    const version = this.#nextVersion;
    this.#nextVersion += 1;
    return buildAnswer(offer, audio, { address: this.#address, port: rtpPort }, { sessionId: this.sessionId, version });
  }
}
