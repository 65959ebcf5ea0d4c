/**
 * WebSocket close codes the fork endpoint uses. Standard codes where RFC 6455 has one that fits,
 * application codes (4000–4999) for call-level outcomes, mirroring HTTP statuses so an operator
 * reading a carrier's debugger can guess them.
 */
import type { ViolationKind } from './protocols/violation.js';

export const CloseCode = {
  /** The call ended the leg (leg.close). */
  normal: 1000,
  /** The bridge is shutting down. */
  goingAway: 1001,
  /** Binary on a JSON-only dialect, or audio in a format we do not decode. */
  unsupportedData: 1003,
  /** Not JSON, or JSON of the wrong shape. */
  invalidPayload: 1007,
  /** A message out of order or for another stream. */
  policyViolation: 1008,
  /** A frame above maxFrameBytes (sent by ws itself). */
  messageTooBig: 1009,
  /** Admission threw: our bug, not the peer's. */
  internalError: 1011,
  /** Admission refused the call (unknown number, capacity, draining). */
  refused: 4403,
  /** The model account's concurrent sessions are all taken (qwen.maxConcurrentSessions): try later. */
  quotaExceeded: 4429,
  /** No start / metadata message within startTimeoutMs. */
  startTimeout: 4408,
} as const;

export function closeCodeFor(kind: ViolationKind): number {
  switch (kind) {
    case 'unexpected_binary':
    case 'unsupported_format':
      return CloseCode.unsupportedData;
    case 'malformed_json':
    case 'bad_message':
      return CloseCode.invalidPayload;
    case 'out_of_order':
    case 'stream_mismatch':
      return CloseCode.policyViolation;
  }
}

/** RFC 6455 caps a close reason at 123 bytes of UTF-8, and ws throws beyond that. */
export function closeReason(text: string): string {
  const MAX_BYTES = 123;
  if (Buffer.byteLength(text) <= MAX_BYTES) return text;
  let cut = text.slice(0, MAX_BYTES);
  while (Buffer.byteLength(cut) > MAX_BYTES) cut = cut.slice(0, -1);
  return cut;
}
