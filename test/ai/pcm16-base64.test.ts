import { describe, expect, it } from 'vitest';
import { decodePcm16Base64, encodePcm16Base64, pcm16FromBytes } from '../../src/ai/pcm16-base64.js';

describe('PCM16 base64', () => {
  it('encodes little-endian samples, honouring the view of a larger buffer', () => {
    const whole = Int16Array.from([9, 1, -2, 0x1234, 9]);
    const base64 = encodePcm16Base64(whole.subarray(1, 4));
    expect([...Buffer.from(base64, 'base64')]).toEqual([0x01, 0x00, 0xfe, 0xff, 0x34, 0x12]);
  });

  it('round-trips the full sample range', () => {
    const samples = Int16Array.from([-32_768, -1, 0, 1, 32_767]);
    expect([...decodePcm16Base64(encodePcm16Base64(samples)).pcm]).toEqual([...samples]);
  });

  it('copies bytes that start at an odd offset instead of failing', () => {
    const backing = new Uint8Array([0xaa, 0x01, 0x00, 0xfe, 0xff]);
    const { pcm, droppedBytes } = pcm16FromBytes(backing.subarray(1));
    expect([...pcm]).toEqual([1, -2]);
    expect(droppedBytes).toBe(0);
  });

  it('drops a trailing odd byte and says so', () => {
    const { pcm, droppedBytes } = pcm16FromBytes(new Uint8Array([0x02, 0x00, 0x07]));
    expect([...pcm]).toEqual([2]);
    expect(droppedBytes).toBe(1);
  });
});
