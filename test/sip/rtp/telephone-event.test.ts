import { describe, expect, it } from 'vitest';
import { DtmfReceiver, dtmfDigit, parseTelephoneEvent, serializeTelephoneEvent } from '../../../src/sip/rtp/telephone-event.js';

const event = (code: number, end: boolean, durationSamples: number) =>
  serializeTelephoneEvent({ event: code, end, volume: 10, durationSamples });

describe('telephone-event', () => {
  it('parses RFC 4733 payloads', () => {
    expect(parseTelephoneEvent(new Uint8Array([11, 0x8a, 0x03, 0x20]))).toEqual({ event: 11, end: true, volume: 10, durationSamples: 800 });
    expect(parseTelephoneEvent(new Uint8Array([1, 2, 3]))).toBeUndefined();
  });

  it('maps events to keypad characters and ignores flash', () => {
    expect([...Array(16).keys()].map(dtmfDigit).join('')).toBe('0123456789*#ABCD');
    expect(dtmfDigit(16)).toBeUndefined();
  });

  it('delivers each press once: first packet, not updates or the three end packets', () => {
    const rx = new DtmfReceiver();
    const digits: string[] = [];
    const press = (code: number, ts: number) => {
      for (const [end, duration] of [[false, 160], [false, 320], [false, 480], [true, 640], [true, 640], [true, 640]] as const) {
        const digit = rx.receive(ts, event(code, end, duration));
        if (digit) digits.push(digit);
      }
    };
    press(5, 1000);
    press(5, 3000); // the same key again is a new press
    press(11, 5000);
    expect(digits).toEqual(['5', '5', '#']);
  });

  it('delivers a press whose only surviving packet is an end packet, and ignores stragglers of an earlier press', () => {
    const rx = new DtmfReceiver();
    expect(rx.receive(1000, event(1, true, 800))).toBe('1');
    expect(rx.receive(2000, event(2, false, 160))).toBe('2');
    expect(rx.receive(1000, event(1, true, 800))).toBeUndefined();
  });

  it('treats a timestamp just past the 32-bit wrap as newer', () => {
    const rx = new DtmfReceiver();
    expect(rx.receive(0xffffff00, event(7, false, 160))).toBe('7');
    expect(rx.receive(0x00000100, event(8, false, 160))).toBe('8');
  });

  it('forgets the last press on reset (new SSRC)', () => {
    const rx = new DtmfReceiver();
    expect(rx.receive(5000, event(3, false, 160))).toBe('3');
    rx.reset();
    expect(rx.receive(100, event(4, false, 160))).toBe('4');
  });
});
