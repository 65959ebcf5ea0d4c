/**
 * Sample-format conversions the fork legs need: G.711 mu-law and 16-bit little-endian PCM (L16).
 *
 * Stopgap until src/audio lands its g711 tables and pcm helpers: each function here has the
 * shape the fork code needs, so swapping the implementation touches only this file.
 */
import alawmulaw from 'alawmulaw';

/** mu-law bytes → PCM16. alawmulaw's decoder is bit-exact with sox. */
export function mulawToPcm16(bytes: Uint8Array): Int16Array {
  return alawmulaw.mulaw.decode(bytes);
}

/** PCM16 → mu-law bytes (array form: the per-sample function returns negative numbers). */
export function pcm16ToMulaw(pcm: Int16Array): Uint8Array {
  return alawmulaw.mulaw.encode(pcm);
}

/** Little-endian 16-bit PCM bytes (even length) → samples. Copies, so any byte offset works. */
export function l16leToPcm16(bytes: Uint8Array): Int16Array {
  const samples = new Int16Array(bytes.length >> 1);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  for (let i = 0; i < samples.length; i++) samples[i] = view.getInt16(i * 2, true);
  return samples;
}

/** Samples → little-endian 16-bit PCM bytes, whatever the host's byte order. */
export function pcm16ToL16le(pcm: Int16Array): Buffer {
  const bytes = Buffer.allocUnsafe(pcm.length * 2);
  for (let i = 0; i < pcm.length; i++) bytes.writeInt16LE(pcm[i] ?? 0, i * 2);
  return bytes;
}
