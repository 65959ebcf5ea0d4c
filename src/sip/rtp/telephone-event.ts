/**
 * RFC 4733 telephone-event, receive side: one digit per key press.
 *
 * A press arrives as a run of packets that all carry the event's start timestamp (updates every
 * 50 ms or so with a growing duration, then the end packet, usually sent three times). The
 * timestamp identifies the press, so the digit is delivered on the first packet seen with a
 * timestamp newer than the last delivered one: as early as possible, once, even if the first
 * packets were lost, and never again for updates, retransmitted end packets or reordered
 * stragglers of an earlier press.
 */
export interface TelephoneEvent {
  /** 0–9 digits, 10 `*`, 11 `#`, 12–15 A–D, 16 flash. */
  event: number;
  end: boolean;
  /** Power level as −dBm0 (0–63). */
  volume: number;
  /** In timestamp units (8000 per second). */
  durationSamples: number;
}

const KEYPAD = '0123456789*#ABCD';

export function parseTelephoneEvent(payload: Uint8Array): TelephoneEvent | undefined {
  if (payload.length < 4) return undefined;
  return {
    event: payload[0]!,
    end: (payload[1]! & 0x80) !== 0,
    volume: payload[1]! & 0x3f,
    durationSamples: (payload[2]! << 8) | payload[3]!,
  };
}

/** The keypad character for an event, or undefined for events that are not keys (flash, tones). */
export function dtmfDigit(event: number): string | undefined {
  return KEYPAD[event];
}

export function serializeTelephoneEvent(event: TelephoneEvent): Uint8Array {
  const payload = new Uint8Array(4);
  payload[0] = event.event;
  payload[1] = (event.end ? 0x80 : 0) | (event.volume & 0x3f);
  payload[2] = (event.durationSamples >> 8) & 0xff;
  payload[3] = event.durationSamples & 0xff;
  return payload;
}

export class DtmfReceiver {
  #lastTimestamp: number | undefined;

  /** Returns the digit to deliver for this packet, or undefined when it adds nothing new. */
  receive(timestamp: number, payload: Uint8Array): string | undefined {
    const event = parseTelephoneEvent(payload);
    if (!event) return undefined;
    // Signed 32-bit distance, so a press just after the timestamp wraps still counts as newer.
    if (this.#lastTimestamp !== undefined && ((timestamp - this.#lastTimestamp) | 0) <= 0) return undefined;
    const digit = dtmfDigit(event.event);
    if (digit === undefined) return undefined;
    this.#lastTimestamp = timestamp;
    return digit;
  }

  /** A new stream (SSRC) starts its own timestamp space. */
  reset(): void {
    this.#lastTimestamp = undefined;
  }
}
