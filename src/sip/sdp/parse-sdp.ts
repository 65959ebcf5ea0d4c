/**
 * SDP parser for offers arriving in INVITEs and re-INVITEs.
 *
 * Tolerant where real equipment is sloppy (LF-only line ends, blank lines, trailing spaces,
 * unknown line types and attributes, missing s=/t=) and strict where a mistake would make us
 * send media to the wrong place or in the wrong format (v=, o=, c=, m=, rtpmap, ptime). A body
 * that fails the strict part raises `SdpParseError`; the SIP layer answers it with 400/488.
 */
import { isMediaDirection, type MediaDirection } from './media-direction.js';
import type { SdpConnection, SdpMedia, SdpOrigin, SdpRtpMap, SessionDescription } from './session-description.js';

export class SdpParseError extends Error {
  override readonly name = 'SdpParseError';
  /** 1-based line number of the offending line, when one line is to blame. */
  readonly line: number | undefined;

  constructor(message: string, line?: number) {
    super(line === undefined ? message : `${message} (line ${line})`);
    this.line = line;
  }
}

const LINE = /^([a-z])=(.*)$/;
const PORT = /^(\d{1,5})(?:\/\d+)?$/;
const PAYLOAD_TYPE = /^\d{1,3}$/;
const RTPMAP = /^(\d{1,3})\s+([^/\s]+)\/(\d+)(?:\/(\d+))?$/;

function parseConnection(value: string, line: number): SdpConnection {
  const [netType, addressType, address, ...rest] = value.split(/\s+/);
  if (netType !== 'IN' || (addressType !== 'IP4' && addressType !== 'IP6') || !address || rest.length > 0) {
    throw new SdpParseError(`malformed c= "${value}"`, line);
  }
  // Multicast addresses carry /ttl[/count]; the address alone is what we would send to.
  const bare = addressType === 'IP4' ? address.split('/')[0]! : address;
  if (bare === '') throw new SdpParseError(`malformed c= "${value}"`, line);
  return { addressType, address: bare };
}

function parseOrigin(value: string, line: number): SdpOrigin {
  const fields = value.split(/\s+/);
  if (fields.length !== 6) throw new SdpParseError(`malformed o= "${value}"`, line);
  const [username, sessionId, sessionVersion, , addressType, address] = fields as [string, string, string, string, string, string];
  return { username, sessionId, sessionVersion, addressType, address };
}

function parseMediaLine(value: string, line: number): SdpMedia {
  const [media, portField, protocol, ...formats] = value.split(/\s+/);
  const port = PORT.exec(portField ?? '');
  if (!media || !port || !protocol || formats.length === 0 || Number(port[1]) > 65_535) {
    throw new SdpParseError(`malformed m= "${value}"`, line);
  }
  return {
    media,
    port: Number(port[1]),
    protocol,
    formats,
    rtpMaps: [],
    fmtps: new Map(),
    rtcpMux: false,
    attributes: [],
  };
}

function parseRtpMap(value: string, line: number): SdpRtpMap {
  const match = RTPMAP.exec(value.trim());
  if (!match || Number(match[1]) > 127) throw new SdpParseError(`malformed rtpmap "${value}"`, line);
  const rtpMap: SdpRtpMap = {
    payloadType: Number(match[1]),
    encodingName: match[2]!,
    clockRateHz: Number(match[3]),
  };
  if (match[4] !== undefined) rtpMap.channels = Number(match[4]);
  return rtpMap;
}

function parsePtime(value: string, line: number): number {
  const ms = Number(value.trim());
  if (!Number.isFinite(ms) || ms <= 0) throw new SdpParseError(`malformed ptime "${value}"`, line);
  return ms;
}

/** Applies one a= line to the media section it belongs to, or to the session when there is none. */
function applyAttribute(
  text: string,
  line: number,
  session: { direction?: MediaDirection },
  media: SdpMedia | undefined,
): void {
  const colon = text.indexOf(':');
  const name = (colon < 0 ? text : text.slice(0, colon)).trim();
  const value = colon < 0 ? undefined : text.slice(colon + 1);
  if (isMediaDirection(name)) {
    if (media) media.direction = name;
    else session.direction = name;
    return;
  }
  if (!media) return;
  media.attributes.push(value === undefined ? { name } : { name, value });
  switch (name) {
    case 'rtpmap':
      media.rtpMaps.push(parseRtpMap(value ?? '', line));
      return;
    case 'fmtp': {
      const match = /^(\S+)\s*(.*)$/.exec(value ?? '');
      if (!match) throw new SdpParseError(`malformed fmtp "${value ?? ''}"`, line);
      media.fmtps.set(match[1]!, match[2]!.trim());
      return;
    }
    case 'ptime':
      media.ptimeMs = parsePtime(value ?? '', line);
      return;
    case 'rtcp-mux':
      media.rtcpMux = true;
      return;
  }
}

export function parseSdp(text: string): SessionDescription {
  const lines = text.split(/\r?\n/);
  let origin: SdpOrigin | undefined;
  const session: { connection?: SdpConnection; direction?: MediaDirection } = {};
  const media: SdpMedia[] = [];
  let sawVersion = false;

  for (const [index, raw] of lines.entries()) {
    const lineNo = index + 1;
    const lineText = raw.trimEnd();
    if (lineText === '') continue;
    const match = LINE.exec(lineText);
    if (!match) throw new SdpParseError(`not a <type>=<value> line: "${lineText.slice(0, 60)}"`, lineNo);
    const type = match[1]!;
    const value = match[2]!;
    if (!sawVersion) {
      if (type !== 'v' || value.trim() !== '0') throw new SdpParseError('SDP must start with v=0', lineNo);
      sawVersion = true;
      continue;
    }
    const current = media[media.length - 1];
    switch (type) {
      case 'o':
        if (current) throw new SdpParseError('o= inside a media section', lineNo);
        origin = parseOrigin(value, lineNo);
        break;
      case 'c':
        if (current) current.connection = parseConnection(value, lineNo);
        else session.connection = parseConnection(value, lineNo);
        break;
      case 'm':
        media.push(parseMediaLine(value, lineNo));
        break;
      case 'a':
        applyAttribute(value, lineNo, session, current);
        break;
      default:
        // s=, t=, b=, i=, u=, e=, p=, z=, k=, r= and types we do not know: nothing we act on.
        break;
    }
  }

  if (!sawVersion) throw new SdpParseError('empty SDP');
  if (!origin) throw new SdpParseError('missing o= line');
  for (const [index, m] of media.entries()) {
    if (m.port !== 0 && !m.connection && !session.connection) {
      throw new SdpParseError(`m-line ${index + 1} (${m.media}) has no connection address`);
    }
  }
  return { origin, ...session, media };
}

/** Payload type numbers of an RTP m-line, in order; non-numeric formats are skipped. */
export function payloadTypes(media: SdpMedia): number[] {
  return media.formats.filter((f) => PAYLOAD_TYPE.test(f)).map(Number);
}
