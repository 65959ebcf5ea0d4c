/**
 * Twilio Media Streams wire format (SignalWire speaks the same dialect).
 *
 * Inbound, every frame is JSON text: `connected`, `start`, `media` (base64 mu-law 8 kHz), `dtmf`,
 * `mark` (echo of ours), `stop`. Outbound we send `media`, `mark` and `clear`, each carrying the
 * streamSid, because Twilio rejects frames for any other stream (errors 31950/31951).
 * Pure: text in, typed messages out; commands in, text out.
 */
import type { CallIdentity } from '../../call/media-leg.js';
import {
  firstScalarField,
  objectField,
  parseJsonObject,
  scalarField,
  scalarFields,
  numberField,
  type JsonObject,
} from './json-value.js';
import { decoded, violation, type Decoded, type InboundFrame } from './violation.js';

export interface TwilioStart {
  streamSid: string;
  callSid: string;
  accountSid?: string;
  tracks: string[];
  /** `<Parameter name=… value=…>` values from the TwiML `<Stream>`. */
  customParameters: Record<string, string>;
}

export type TwilioMessage =
  | { event: 'connected' }
  | { event: 'start'; streamSid: string; start: TwilioStart }
  /** `track` is `inbound` (the caller) or, on one-way `both_tracks` streams, `outbound`. */
  | { event: 'media'; streamSid: string; track: string; mulaw: Uint8Array }
  | { event: 'dtmf'; streamSid: string; digit: string }
  | { event: 'mark'; streamSid: string; name: string }
  | { event: 'stop'; streamSid: string }
  /** An event this bridge does not use; the server logs it at debug and carries on. */
  | { event: 'other'; name: string };

const MULAW_ENCODINGS = new Set(['audio/x-mulaw', 'audio/pcmu', 'pcmu', 'mulaw']);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const DTMF_DIGIT = /^[0-9*#A-Da-d]$/;

export function decodeTwilioFrame(frame: InboundFrame): Decoded<TwilioMessage> {
  if (frame.kind === 'binary') {
    return violation('unexpected_binary', 'binary frame on a JSON-only media stream');
  }
  const parsed = parseJsonObject(frame.text);
  if (!parsed.ok) return parsed;
  const msg = parsed.message;
  const event = scalarField(msg, 'event');
  if (event === undefined) return violation('bad_message', 'message has no event');

  switch (event) {
    case 'connected':
      return decoded({ event: 'connected' });
    case 'start':
      return decodeStart(msg);
    case 'media':
      return decodeMedia(msg);
    case 'dtmf': {
      const streamSid = scalarField(msg, 'streamSid');
      const digit = scalarField(objectField(msg, 'dtmf') ?? {}, 'digit');
      if (streamSid === undefined || digit === undefined || !DTMF_DIGIT.test(digit)) {
        return violation('bad_message', 'dtmf message needs streamSid and one dtmf.digit');
      }
      return decoded({ event: 'dtmf', streamSid, digit });
    }
    case 'mark': {
      const streamSid = scalarField(msg, 'streamSid');
      const name = scalarField(objectField(msg, 'mark') ?? {}, 'name');
      if (streamSid === undefined || name === undefined) {
        return violation('bad_message', 'mark message needs streamSid and mark.name');
      }
      return decoded({ event: 'mark', streamSid, name });
    }
    case 'stop': {
      const streamSid = scalarField(msg, 'streamSid');
      if (streamSid === undefined) return violation('bad_message', 'stop message has no streamSid');
      return decoded({ event: 'stop', streamSid });
    }
    default:
      return decoded({ event: 'other', name: event.slice(0, 64) });
  }
}

function decodeStart(msg: JsonObject): Decoded<TwilioMessage> {
  const start = objectField(msg, 'start');
  if (start === undefined) return violation('bad_message', 'start message has no start object');
  const streamSid = scalarField(msg, 'streamSid') ?? scalarField(start, 'streamSid');
  const callSid = scalarField(start, 'callSid');
  if (streamSid === undefined || callSid === undefined) {
    return violation('bad_message', 'start message needs streamSid and start.callSid');
  }

  // Absent mediaFormat is tolerated (some relatives omit it); a different format is not, because
  // decoding it as mu-law would feed the model noise.
  const format = objectField(start, 'mediaFormat');
  if (format === undefined && start['mediaFormat'] !== undefined) return violation('bad_message', 'start.mediaFormat must be an object');
  if (format !== undefined) {
    const encoding = scalarField(format, 'encoding')?.toLowerCase();
    const rateHz = numberField(format, 'sampleRate');
    const channels = numberField(format, 'channels');
    // Present but unreadable is a wrong type, not an absent field: refuse it rather than guess.
    for (const [key, read] of [['encoding', typeof format.encoding === 'string' ? encoding : undefined], ['sampleRate', rateHz], ['channels', channels]] as const) {
      if (format[key] !== undefined && read === undefined) return violation('bad_message', `start.mediaFormat.${key} has the wrong type`);
    }
    if (
      (encoding !== undefined && !MULAW_ENCODINGS.has(encoding)) ||
      (rateHz !== undefined && rateHz !== 8000) ||
      (channels !== undefined && channels !== 1)
    ) {
      return violation(
        'unsupported_format',
        `stream format ${encoding ?? '?'}/${rateHz ?? '?'}Hz/${channels ?? '?'}ch is not mu-law 8000 Hz mono`,
      );
    }
  }

  const tracksValue = start['tracks'];
  const tracks = Array.isArray(tracksValue) ? tracksValue.filter((t): t is string => typeof t === 'string') : [];
  const accountSid = scalarField(start, 'accountSid');
  return decoded({
    event: 'start',
    streamSid,
    start: {
      streamSid,
      callSid,
      ...(accountSid !== undefined && { accountSid }),
      tracks,
      customParameters: scalarFields(objectField(start, 'customParameters') ?? {}),
    },
  });
}

function decodeMedia(msg: JsonObject): Decoded<TwilioMessage> {
  const streamSid = scalarField(msg, 'streamSid');
  const media = objectField(msg, 'media');
  if (streamSid === undefined || media === undefined) {
    return violation('bad_message', 'media message needs streamSid and media');
  }
  const payload = media['payload'];
  // Buffer.from(…, 'base64') silently skips junk, so check first: corrupt audio must not pass.
  if (typeof payload !== 'string' || payload.length % 4 !== 0 || !BASE64.test(payload)) {
    return violation('bad_message', 'media.payload is not base64');
  }
  const mulaw = Buffer.from(payload, 'base64');
  return decoded({ event: 'media', streamSid, track: scalarField(media, 'track') ?? 'inbound', mulaw });
}

/**
 * Twilio's start message has no dialed number, so the TwiML passes it as a custom parameter;
 * `to` (any case) wins, and `from` likewise. Platform ids are set last so a custom parameter
 * cannot impersonate them.
 */
export function twilioCallIdentity(start: TwilioStart): CallIdentity {
  const params = start.customParameters;
  const to = firstScalarField(params, ['to', 'To', 'TO', 'called', 'Called']) ?? '';
  const from = firstScalarField(params, ['from', 'From', 'FROM', 'caller', 'Caller']);
  return {
    externalId: start.callSid,
    to,
    ...(from !== undefined && { from }),
    transport: 'twilio',
    attributes: {
      ...params,
      streamSid: start.streamSid,
      callSid: start.callSid,
      ...(start.accountSid !== undefined && { accountSid: start.accountSid }),
    },
  };
}

export function encodeTwilioMedia(streamSid: string, mulaw: Uint8Array): string {
  return twilioMediaEncoder(streamSid)(mulaw);
}

/**
 * The encoder for one stream's media frames, fifty a second: the JSON around the payload is the
 * same every time, so it is serialised once (the streamSid escaped as JSON.stringify would) and
 * each frame only adds its base64, which never needs escaping.
 */
export function twilioMediaEncoder(streamSid: string): (mulaw: Uint8Array) => string {
  const head = `{"event":"media","streamSid":${JSON.stringify(streamSid)},"media":{"payload":"`;
  return (mulaw) => `${head}${Buffer.from(mulaw.buffer, mulaw.byteOffset, mulaw.byteLength).toString('base64')}"}}`;
}

export function encodeTwilioMark(streamSid: string, name: string): string {
  return JSON.stringify({ event: 'mark', streamSid, mark: { name } });
}

export function encodeTwilioClear(streamSid: string): string {
  return JSON.stringify({ event: 'clear', streamSid });
}
