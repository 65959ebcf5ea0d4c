/**
 * End-of-call webhook signatures. The bridge sends
 *
 *   X-Bridge-Timestamp: <unix seconds>
 *   X-Bridge-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
 *
 * A receiver recomputes the HMAC over the raw body bytes (before any JSON parsing), compares in
 * constant time, and rejects timestamps far from its own clock so a captured request cannot be
 * replayed later. Signing the timestamp with the body is what makes that check meaningful.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-bridge-signature';
export const TIMESTAMP_HEADER = 'x-bridge-timestamp';

/** How far a timestamp may be from the receiver's clock, by default. */
export const DEFAULT_TOLERANCE_S = 300;

export function signPayload(secret: string, timestamp: string, body: string | Uint8Array): string {
  const hmac = createHmac('sha256', secret);
  hmac.update(`${timestamp}.`);
  hmac.update(body);
  return `sha256=${hmac.digest('hex')}`;
}

export interface VerifyInput {
  secret: string;
  /** The X-Bridge-Timestamp header. */
  timestamp: string | undefined;
  /** The X-Bridge-Signature header. */
  signature: string | undefined;
  /** The request body exactly as received. */
  body: string | Uint8Array;
  /** Seconds either side of `nowMs`; default 300. */
  toleranceS?: number;
  nowMs?: number;
}

/** True when the signature matches the body and timestamp, and the timestamp is recent. */
export function verifySignature(input: VerifyInput): boolean {
  const { secret, timestamp, signature, body } = input;
  if (timestamp === undefined || signature === undefined || !/^\d{1,12}$/.test(timestamp)) return false;
  const nowS = (input.nowMs ?? Date.now()) / 1000;
  if (Math.abs(nowS - Number(timestamp)) > (input.toleranceS ?? DEFAULT_TOLERANCE_S)) return false;
  const expected = Buffer.from(signPayload(secret, timestamp, body));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
