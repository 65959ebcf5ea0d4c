/**
 * G.711 mu-law and A-law through lookup tables built once at module load.
 *
 * Tables because the per-call cost of a codec call on a 160-sample frame is dominated by the
 * arithmetic and, in library versions, by allocating the output; a table lookup into a caller's
 * buffer is about 0.1 µs per frame. Encoding follows G.711's decision thresholds on the 14-bit
 * (mu-law) and 13-bit (A-law) magnitude, so decoding is bit-exact with the reference and encoding
 * matches `alawmulaw` (sox differs from both by one step at some thresholds because it rounds to
 * 14 bits first).
 *
 * Each function writes `src.length` values into `dst` and returns `dst`; leave `dst` out to get a
 * new array (fine for tests and one-off conversions, not for the 20 ms path).
 */

const MULAW_BIAS = 0x84;
const MULAW_CLIP = 32_635;

function mulawDecodeCode(code: number): number {
  const inverted = ~code & 0xff;
  const exponent = (inverted >> 4) & 0x07;
  const mantissa = inverted & 0x0f;
  const magnitude = (((mantissa << 3) + MULAW_BIAS) << exponent) - MULAW_BIAS;
  return inverted & 0x80 ? -magnitude : magnitude;
}

function mulawEncodeSample(sample: number): number {
  const negative = sample < 0;
  const magnitude = Math.min(negative ? -sample : sample, MULAW_CLIP) + MULAW_BIAS;
  // The segment is the position of the highest set bit above the 8 lowest ones.
  const exponent = 31 - Math.clz32(magnitude >> 7);
  const mantissa = (magnitude >> (exponent + 3)) & 0x0f;
  return ~((negative ? 0x80 : 0) | (exponent << 4) | mantissa) & 0xff;
}

function alawDecodeCode(code: number): number {
  const toggled = code ^ 0x55;
  const exponent = (toggled >> 4) & 0x07;
  const mantissa = toggled & 0x0f;
  const magnitude = exponent === 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
  // A-law's sign bit is set for positive values.
  return toggled & 0x80 ? magnitude : -magnitude;
}

function alawEncodeSample(sample: number): number {
  // One's-complement magnitude for negatives keeps the decision thresholds symmetric around −0.5.
  const negative = sample < 0;
  const magnitude = (negative ? -sample - 1 : sample) >> 3;
  const mask = negative ? 0x55 : 0xd5;
  if (magnitude >= 0x1000) return 0x7f ^ mask;
  if (magnitude < 0x20) return (magnitude >> 1) ^ mask;
  const exponent = 31 - Math.clz32(magnitude) - 4;
  const mantissa = (magnitude >> exponent) & 0x0f;
  return ((exponent << 4) | mantissa) ^ mask;
}

function buildDecodeTable(decode: (code: number) => number): Int16Array {
  const table = new Int16Array(256);
  for (let code = 0; code < 256; code++) table[code] = decode(code);
  return table;
}

/** Indexed by the sample's 16-bit pattern (`sample & 0xffff`), so negatives need no branch. */
function buildEncodeTable(encode: (sample: number) => number): Uint8Array {
  const table = new Uint8Array(65_536);
  for (let sample = -32_768; sample < 32_768; sample++) table[sample & 0xffff] = encode(sample);
  return table;
}

const MULAW_DECODE = buildDecodeTable(mulawDecodeCode);
const MULAW_ENCODE = buildEncodeTable(mulawEncodeSample);
const ALAW_DECODE = buildDecodeTable(alawDecodeCode);
const ALAW_ENCODE = buildEncodeTable(alawEncodeSample);

function checkCapacity(srcLength: number, dstLength: number): void {
  if (dstLength < srcLength) {
    throw new RangeError(`G.711 output holds ${dstLength} values but the input has ${srcLength}`);
  }
}

function decodeWith(table: Int16Array, src: Uint8Array, dst: Int16Array): Int16Array {
  checkCapacity(src.length, dst.length);
  for (let i = 0; i < src.length; i++) dst[i] = table[src[i]!]!;
  return dst;
}

function encodeWith(table: Uint8Array, src: Int16Array, dst: Uint8Array): Uint8Array {
  checkCapacity(src.length, dst.length);
  for (let i = 0; i < src.length; i++) dst[i] = table[src[i]! & 0xffff]!;
  return dst;
}

export function mulawDecode(src: Uint8Array, dst: Int16Array = new Int16Array(src.length)): Int16Array {
  return decodeWith(MULAW_DECODE, src, dst);
}

export function mulawEncode(src: Int16Array, dst: Uint8Array = new Uint8Array(src.length)): Uint8Array {
  return encodeWith(MULAW_ENCODE, src, dst);
}

export function alawDecode(src: Uint8Array, dst: Int16Array = new Int16Array(src.length)): Int16Array {
  return decodeWith(ALAW_DECODE, src, dst);
}

export function alawEncode(src: Int16Array, dst: Uint8Array = new Uint8Array(src.length)): Uint8Array {
  return encodeWith(ALAW_ENCODE, src, dst);
}
