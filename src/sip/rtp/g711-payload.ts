/**
 * G.711 as an RTP payload (RFC 3551 §4.5.14): one byte per 8 kHz sample, no header, so a 20 ms
 * frame is 160 bytes either way. The tables in audio/g711 do the work.
 */
import { alawDecode, alawEncode, mulawDecode, mulawEncode } from '../../audio/g711.js';
import type { G711Codec } from '../sdp/negotiate-audio.js';

export interface G711Payload {
  readonly codec: G711Codec;
  decode(payload: Uint8Array): Int16Array;
  encode(pcm: Int16Array): Uint8Array;
  /** One 20 ms frame of digital silence (0xFF for mu-law, 0xD5 for A-law). */
  readonly silenceFrame: Uint8Array;
}

function silence(encode: (pcm: Int16Array) => Uint8Array, samples: number): Uint8Array {
  return encode(new Int16Array(samples));
}

const PCMU: G711Payload = {
  codec: 'PCMU',
  decode: (payload) => mulawDecode(payload),
  encode: (pcm) => mulawEncode(pcm),
  silenceFrame: silence((pcm) => mulawEncode(pcm), 160),
};

const PCMA: G711Payload = {
  codec: 'PCMA',
  decode: (payload) => alawDecode(payload),
  encode: (pcm) => alawEncode(pcm),
  silenceFrame: silence((pcm) => alawEncode(pcm), 160),
};

export function g711Payload(codec: G711Codec): G711Payload {
  return codec === 'PCMU' ? PCMU : PCMA;
}
