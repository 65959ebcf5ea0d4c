/**
 * Offer in, decision out: the one call the SIP layer makes before it allocates media. Every way
 * an offer can be unacceptable is a value here, so the INVITE handler maps reasons to statuses
 * with an exhaustive switch: `malformed_sdp` → 400, `no_audio_stream` / `no_acceptable_codec` → 488.
 */
import { negotiateAudio, type AudioRejection, type NegotiatedAudio } from './negotiate-audio.js';
import { parseSdp, SdpParseError } from './parse-sdp.js';
import type { SessionDescription } from './session-description.js';

export type OfferRejection = 'malformed_sdp' | AudioRejection;

export type OfferReading =
  | { ok: true; offer: SessionDescription; audio: NegotiatedAudio }
  | { ok: false; reason: OfferRejection; detail: string };

export function readOffer(text: string): OfferReading {
  let offer: SessionDescription;
  try {
    offer = parseSdp(text);
  } catch (err) {
    if (err instanceof SdpParseError) return { ok: false, reason: 'malformed_sdp', detail: err.message };
    throw err;
  }
  const negotiation = negotiateAudio(offer);
  if (!negotiation.ok) return negotiation;
  return { ok: true, offer, audio: negotiation.audio };
}
