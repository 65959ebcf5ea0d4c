/**
 * What the media codecs return instead of throwing: a frame from the far end that the bridge
 * cannot accept. The fork server maps each kind to a WebSocket close code (see close-codes.ts),
 * so the kinds are about what the peer did wrong, not about how we noticed.
 */
export type ViolationKind =
  /** Text that is not JSON where only JSON is valid. */
  | 'malformed_json'
  /** Valid JSON with the wrong shape: missing or mistyped fields, bad base64. */
  | 'bad_message'
  /** A binary frame on a dialect that only sends JSON text (Twilio, SignalWire). */
  | 'unexpected_binary'
  /** A stream that announces audio we do not decode (not mu-law 8 kHz, stereo, 24 kHz L16…). */
  | 'unsupported_format'
  /** A message that is valid on its own but not now: media before start, a second start. */
  | 'out_of_order'
  /** A message for another stream than the one this socket started. */
  | 'stream_mismatch';

export interface ProtocolViolation {
  kind: ViolationKind;
  /** Human-readable and safe to log and to send as a close reason (no payloads, no secrets). */
  detail: string;
}

/** A codec's answer: the typed message, or why the frame was refused. */
export type Decoded<T> = { ok: true; message: T } | { ok: false; violation: ProtocolViolation };

/** One WebSocket frame as the codecs see it; the server strips the ws specifics. */
export type InboundFrame = { kind: 'text'; text: string } | { kind: 'binary'; bytes: Uint8Array };

export function violation(kind: ViolationKind, detail: string): { ok: false; violation: ProtocolViolation } {
  return { ok: false, violation: { kind, detail } };
}

export function decoded<T>(message: T): { ok: true; message: T } {
  return { ok: true, message };
}
