import { describe, expect, it } from 'vitest';
import { pcm16FromBase64, pcm16FromBytes, pcm16ToBase64, pcm16ToBytes } from '../../src/audio/pcm.js';

describe('PCM16 bytes', () => {
  it('reads little-endian samples', () => {
    const samples = pcm16FromBytes(Uint8Array.from([0x01, 0x00, 0x00, 0x80, 0xff, 0x7f, 0xff, 0xff]));
    expect(Array.from(samples)).toEqual([1, -32_768, 32_767, -1]);
  });

  it('copies from an odd byte offset (a Buffer sliced out of a ws message)', () => {
    const message = Buffer.from([0xaa, 0x34, 0x12, 0xcc, 0xfe]);
    const odd = message.subarray(1, 5);
    expect(odd.byteOffset % 2).toBe(1);
    const samples = pcm16FromBytes(odd);
    expect(Array.from(samples)).toEqual([0x1234, -0x0134]);
    expect(samples.buffer).not.toBe(message.buffer);
  });

  it('shares memory at an even offset', () => {
    const bytes = new Uint8Array(8);
    const samples = pcm16FromBytes(bytes.subarray(2, 6));
    bytes[2] = 5;
    expect(samples[0]).toBe(5);
  });

  it('rejects an odd byte count', () => {
    expect(() => pcm16FromBytes(new Uint8Array(3))).toThrow(RangeError);
  });

  it('writes samples as little-endian bytes without copying', () => {
    const samples = Int16Array.from([0, 1, 2, 0x1234, -2]).subarray(3);
    const bytes = pcm16ToBytes(samples);
    expect(Array.from(bytes)).toEqual([0x34, 0x12, 0xfe, 0xff]);
    expect(bytes.buffer).toBe(samples.buffer);
  });

  it('encodes only the view to base64, not its whole buffer', () => {
    const whole = Int16Array.from([9, 1, -2, 0x1234, 9]);
    const base64 = pcm16ToBase64(whole.subarray(1, 4));
    expect(Array.from(Buffer.from(base64, 'base64'))).toEqual([0x01, 0x00, 0xfe, 0xff, 0x34, 0x12]);
  });

  it('round-trips the extremes of the sample range through base64', () => {
    const samples = Int16Array.from([-32_768, -1, 0, 1, 32_767]);
    expect(Array.from(pcm16FromBase64(pcm16ToBase64(samples)))).toEqual(Array.from(samples));
  });

  it('round-trips through base64', () => {
    const samples = Int16Array.from({ length: 480 }, (_, i) => (i * 977) % 65_536 - 32_768);
    const base64 = pcm16ToBase64(samples);
    expect(base64).toBe(Buffer.from(samples.buffer).toString('base64'));
    expect(Array.from(pcm16FromBase64(base64))).toEqual(Array.from(samples));
  });
});
