/**
 * FreeSWITCH mod_audio_fork / jambonz `listen` wire format.
 *
 * Inbound: the first frame is JSON text with the call's attributes (jambonz: its call webhook
 * fields plus `sampleRate` and `mixType`, with the listen verb's `metadata` merged on top), then
 * binary frames of raw L16 (signed 16-bit little-endian) mono of any size, and occasionally text:
 * DTMF (`{"event":"dtmf","dtmf":"5"}`) and, in the jambonz build, echoes of our marks.
 * Outbound: binary L16 at the stream's rate, `{"type":"killAudio"}`, `{"type":"mark",…}`.
 *
 * The framing is stateful (first-frame semantics, an odd byte carried across frames), so the
 * decoder is an object per stream; it is still pure: frames in, typed messages out.
 */
import { pcm16FromBytes, pcm16ToBytes } from '../../audio/pcm.js';
import type { CallIdentity } from '../../call/media-leg.js';
import {
  firstScalarField,
  numberField,
  objectField,
  parseJsonObject,
  scalarField,
  scalarFields,
  type JsonObject,
} from './json-value.js';
import { decoded, violation, type Decoded, type InboundFrame } from './violation.js';

export type AudioForkRateHz = 8000 | 16000;

export interface AudioForkMetadata {
  identity: CallIdentity;
  /** Rate of the L16 in both directions: the bridge streams back at the rate it receives. */
  sampleRateHz: AudioForkRateHz;
}

export type AudioForkMessage =
  | { type: 'metadata'; metadata: AudioForkMetadata }
  /** Possibly empty: a 1-byte frame only fills the carry-over. */
  | { type: 'audio'; pcm: Int16Array }
  | { type: 'dtmf'; digit: string }
  /** jambonz echo: `playout` when the audio before it played, `cleared` when killAudio dropped it. */
  | { type: 'mark'; name: string; markEvent: string }
  | { type: 'other'; name: string };

/**
 * Which metadata keys carry what. jambonz sends `callSid`, `from`, `to`; a drachtio-fsmrf app
 * chooses its own metadata, so the common spellings are accepted too, first match wins.
 */
export const AUDIO_FORK_FIELDS = {
  externalId: ['callSid', 'call_sid', 'callId', 'call_id', 'uuid', 'sessionId'],
  to: ['to', 'calledNumber', 'called_number', 'called', 'dnis', 'destination'],
  from: ['from', 'callingNumber', 'calling_number', 'caller', 'callerId', 'ani'],
  sampleRate: ['sampleRate', 'sample_rate', 'sampling'],
  mixType: ['mixType', 'mix_type'],
} as const;

/** mod_audio_fork's own default when the app does not say (drachtio-fsmrf `sampling`). */
const DEFAULT_RATE_HZ: AudioForkRateHz = 8000;
const DTMF_DIGIT = /^[0-9*#A-Da-d]$/;

export class AudioForkDecoder {
  private metadataSeen = false;
  /** Low byte of a sample split across two binary frames. */
  private carry: number | undefined;

  decode(frame: InboundFrame): Decoded<AudioForkMessage> {
    if (!this.metadataSeen) {
      if (frame.kind === 'binary') return violation('out_of_order', 'audio before the metadata text frame');
      const metadata = decodeAudioForkMetadata(frame.text);
      if (metadata.ok) this.metadataSeen = true;
      return metadata.ok ? decoded({ type: 'metadata', metadata: metadata.message }) : metadata;
    }
    return frame.kind === 'binary' ? decoded({ type: 'audio', pcm: this.takeSamples(frame.bytes) }) : decodeText(frame.text);
  }

  private takeSamples(bytes: Uint8Array): Int16Array {
    let whole = bytes;
    if (this.carry !== undefined) {
      whole = new Uint8Array(bytes.length + 1);
      whole[0] = this.carry;
      whole.set(bytes, 1);
      this.carry = undefined;
    }
    if (whole.length % 2 === 1) {
      this.carry = whole[whole.length - 1];
      whole = whole.subarray(0, whole.length - 1);
    }
    return pcm16FromBytes(whole);
  }
}

export function decodeAudioForkMetadata(text: string): Decoded<AudioForkMetadata> {
  const parsed = parseJsonObject(text);
  if (!parsed.ok) return parsed;
  const meta = parsed.message;

  const externalId = firstScalarField(meta, AUDIO_FORK_FIELDS.externalId);
  if (externalId === undefined) {
    return violation('bad_message', `metadata has no call id (${AUDIO_FORK_FIELDS.externalId.join(', ')})`);
  }

  const rate = readRateHz(meta, AUDIO_FORK_FIELDS.sampleRate) ?? DEFAULT_RATE_HZ;
  if (rate !== 8000 && rate !== 16000) {
    const shown = Number.isNaN(rate) ? 'unreadable' : String(rate);
    return violation('unsupported_format', `sampleRate ${shown} is not 8000 or 16000`);
  }
  // The leg has one rate for both directions; jambonz plays back at bidirectionalAudio.sampleRate,
  // which it does not put in the metadata. If an app does, a mismatch must fail loudly rather than
  // play the agent too fast or too slow.
  const backRate =
    readRateHz(objectField(meta, 'bidirectionalAudio') ?? {}, ['sampleRate']) ??
    readRateHz(meta, ['bidirectionalSampleRate']);
  if (backRate !== undefined && backRate !== rate) {
    return violation('unsupported_format', `bidirectional sampleRate ${backRate} differs from sampleRate ${rate}`);
  }
  if (AUDIO_FORK_FIELDS.mixType.some((key) => key in meta && scalarField(meta, key) === undefined && meta[key] !== '')) {
    return violation('bad_message', 'mixType must be a string');
  }
  const mixType = firstScalarField(meta, AUDIO_FORK_FIELDS.mixType) ?? 'mono';
  if (mixType !== 'mono' && mixType !== 'mixed') {
    return violation('unsupported_format', `mixType ${mixType.slice(0, 16)} is not mono or mixed`);
  }

  const to = firstScalarField(meta, AUDIO_FORK_FIELDS.to);
  const from = firstScalarField(meta, AUDIO_FORK_FIELDS.from);
  return decoded({
    identity: {
      externalId,
      to: to === undefined ? '' : userPart(to),
      ...(from !== undefined && { from: userPart(from) }),
      transport: 'audio_fork',
      attributes: scalarFields(meta),
    },
    sampleRateHz: rate,
  });
}

function decodeText(text: string): Decoded<AudioForkMessage> {
  const parsed = parseJsonObject(text);
  if (!parsed.ok) return parsed;
  const msg = parsed.message;
  const event = scalarField(msg, 'event');
  const type = scalarField(msg, 'type');

  if (event === 'dtmf') {
    const digit = scalarField(msg, 'dtmf') ?? scalarField(msg, 'digit');
    if (digit === undefined || !DTMF_DIGIT.test(digit)) return violation('bad_message', 'dtmf message needs one digit');
    return decoded({ type: 'dtmf', digit });
  }
  if (type === 'mark') {
    const data = objectField(msg, 'data') ?? {};
    const name = scalarField(data, 'name');
    if (name === undefined) return violation('bad_message', 'mark message needs data.name');
    return decoded({ type: 'mark', name, markEvent: scalarField(data, 'event') ?? 'playout' });
  }
  if (event === undefined && type === undefined && firstScalarField(msg, AUDIO_FORK_FIELDS.externalId) !== undefined) {
    // Another metadata frame: the stream cannot become a different call halfway through.
    return violation('out_of_order', 'a second metadata frame');
  }
  return decoded({ type: 'other', name: (event ?? type ?? 'unnamed').slice(0, 64) });
}

/** Accepts 8000, "8000", "8k", "16k". */
function readRateHz(obj: JsonObject, keys: readonly string[]): number | undefined {
  for (const key of keys) {
    const numeric = numberField(obj, key);
    if (numeric !== undefined) return numeric;
    const text = scalarField(obj, key)?.toLowerCase();
    const kilo = text === undefined ? null : /^(\d+)k$/.exec(text);
    if (kilo?.[1] !== undefined) return Number(kilo[1]) * 1000;
    if (text !== undefined) return NaN;
    // Present but an object, an array or null: wrongly typed, not absent.
    if (key in obj) return NaN;
  }
  return undefined;
}

/** `sip:+15551234567@host;user=phone` → `+15551234567`; plain numbers pass through. */
function userPart(address: string): string {
  const match = /^(?:sips?|tel):([^@;>]+)/i.exec(address.replace(/^</, ''));
  return match?.[1] ?? address;
}

/**
 * Shares the frame's memory: ws may hold the Buffer unsent under backpressure, which is safe
 * because the call's frames are never written again once emitted (see Framer).
 */
/** A copy: the socket may still hold the bytes after the call has reused the frame's memory. */
export function encodeAudioForkAudio(pcm: Int16Array): Buffer {
  return Buffer.from(pcm16ToBytes(pcm));
}

export function encodeAudioForkKillAudio(): string {
  return JSON.stringify({ type: 'killAudio' });
}

export function encodeAudioForkMark(name: string): string {
  return JSON.stringify({ type: 'mark', data: { name } });
}
