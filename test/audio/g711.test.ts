import alawmulaw from 'alawmulaw';
import { describe, expect, it } from 'vitest';
import { alawDecode, alawEncode, mulawDecode, mulawEncode } from '../../src/audio/g711.js';

const ALL_CODES = Uint8Array.from({ length: 256 }, (_, code) => code);
const ALL_SAMPLES = Int16Array.from({ length: 65_536 }, (_, i) => i - 32_768);

/** Quantisation level of each code (mu-law's two zero codes share one), to count steps between codes. */
function levelOfCode(decode: (codes: Uint8Array) => Int16Array): (code: number) => number {
  const values = decode(ALL_CODES);
  const sorted = [...new Set(values)].sort((a, b) => a - b);
  return (code) => sorted.indexOf(values[code]!);
}

describe.each([
  { law: 'mu-law', decode: mulawDecode, encode: mulawEncode, reference: alawmulaw.mulaw },
  { law: 'A-law', decode: alawDecode, encode: alawEncode, reference: alawmulaw.alaw },
])('$law', ({ decode, encode, reference }) => {
  it('decodes all 256 codes exactly like the reference', () => {
    expect(Array.from(decode(ALL_CODES))).toEqual(Array.from(reference.decode(ALL_CODES)));
  });

  it('encodes every int16 within one quantisation step of the reference', () => {
    const ours = encode(ALL_SAMPLES);
    const theirs = reference.encode(ALL_SAMPLES);
    const level = levelOfCode(decode);
    let differing = 0;
    let worstSteps = 0;
    for (let i = 0; i < ALL_SAMPLES.length; i++) {
      if (ours[i] === theirs[i]) continue;
      differing += 1;
      worstSteps = Math.max(worstSteps, Math.abs(level(ours[i]!) - level(theirs[i]!)));
    }
    expect(worstSteps).toBeLessThanOrEqual(1);
    expect(differing).toBeLessThan(ALL_SAMPLES.length / 100);
  });

  it('writes into the caller buffer and returns it', () => {
    const dst = new Int16Array(8).fill(123);
    const returned = decode(ALL_CODES.subarray(0, 4), dst);
    expect(returned).toBe(dst);
    expect(Array.from(dst.subarray(4))).toEqual([123, 123, 123, 123]);
    const bytes = new Uint8Array(4);
    expect(encode(new Int16Array([0, 1000, -1000, 32_767]), bytes)).toBe(bytes);
  });

  it('refuses an output buffer that is too short', () => {
    expect(() => decode(ALL_CODES, new Int16Array(255))).toThrow(RangeError);
    expect(() => encode(ALL_SAMPLES, new Uint8Array(10))).toThrow(RangeError);
  });
});

describe('mu-law', () => {
  it('encodes exactly like alawmulaw for all 65,536 inputs', () => {
    const ours = mulawEncode(ALL_SAMPLES);
    const theirs = alawmulaw.mulaw.encode(ALL_SAMPLES);
    let differing = 0;
    for (let i = 0; i < ours.length; i++) if (ours[i] !== theirs[i]) differing += 1;
    expect(differing).toBe(0);
  });

  it('matches G.711 reference values', () => {
    // Full scale, both zeros, and the smallest step.
    expect(Array.from(mulawDecode(new Uint8Array([0x00, 0x80, 0xff, 0x7f, 0x7e, 0xfe])))).toEqual([
      -32_124, 32_124, 0, 0, -8, 8,
    ]);
  });

  it('round-trips every code except negative zero', () => {
    const again = mulawEncode(mulawDecode(ALL_CODES));
    const changed = ALL_CODES.filter((code) => again[code] !== code);
    expect(Array.from(changed)).toEqual([0x7f]);
    expect(again[0x7f]).toBe(0xff);
  });
});

describe('A-law', () => {
  it('differs from alawmulaw only for negative inputs on a decision threshold', () => {
    // G.711 folds negatives by one's complement (−x − 1); alawmulaw negates. Both are one step apart there.
    const ours = alawEncode(ALL_SAMPLES);
    const theirs = alawmulaw.alaw.encode(ALL_SAMPLES);
    const decodedOurs = alawDecode(ours);
    const decodedTheirs = alawDecode(theirs);
    for (let i = 0; i < ALL_SAMPLES.length; i++) {
      if (ours[i] === theirs[i]) continue;
      const sample = ALL_SAMPLES[i]!;
      expect(sample).toBeLessThan(0);
      expect(Math.abs(decodedOurs[i]! - sample)).toBeLessThanOrEqual(Math.abs(decodedTheirs[i]! - sample));
    }
  });

  it('matches G.711 reference values', () => {
    // The smallest steps (A-law has no code for zero) and full scale.
    expect(Array.from(alawDecode(new Uint8Array([0xd5, 0x55, 0xaa, 0x2a])))).toEqual([8, -8, 32_256, -32_256]);
  });

  it('round-trips every code', () => {
    expect(Array.from(alawEncode(alawDecode(ALL_CODES)))).toEqual(Array.from(ALL_CODES));
  });
});
