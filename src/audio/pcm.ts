/**
 * PCM16 little-endian bytes ⇄ Int16Array, and the base64 form the model's events carry.
 *
 * Conversions reinterpret memory instead of copying sample by sample, which is only correct on a
 * little-endian host. Big-endian hosts are out of scope (Node's supported servers are all
 * little-endian); the check below refuses to load rather than turn every call into noise.
 */

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error('PCM16 conversions assume a little-endian host');
}

/**
 * Samples in little-endian 16-bit PCM bytes. Shares memory with `bytes` when the offset is even;
 * copies when it is odd, which happens for a Buffer sliced out of a binary WebSocket message
 * (an Int16Array view needs 2-byte alignment and would throw).
 */
export function pcm16FromBytes(bytes: Uint8Array): Int16Array {
  if (bytes.byteLength % 2 !== 0) {
    throw new RangeError(`PCM16 needs an even number of bytes, got ${bytes.byteLength}`);
  }
  if (bytes.byteOffset % 2 === 0) {
    return new Int16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
  }
  const copy = new Int16Array(bytes.byteLength / 2);
  new Uint8Array(copy.buffer).set(bytes);
  return copy;
}

/** The samples' bytes as a Buffer sharing their memory (ready for `ws.send`). */
export function pcm16ToBytes(samples: Int16Array): Buffer {
  return Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
}

export function pcm16ToBase64(samples: Int16Array): string {
  return pcm16ToBytes(samples).toString('base64');
}

/** Decodes base64 PCM16 (the model's audio deltas). Invalid base64 characters are skipped, as Node does. */
export function pcm16FromBase64(base64: string): Int16Array {
  return pcm16FromBytes(Buffer.from(base64, 'base64'));
}
