/**
 * PCM16 little-endian ⇄ base64, the audio encoding of both Qwen directions. The wire is always
 * little-endian; a big-endian host swaps bytes rather than trusting the typed array's layout.
 */
import { endianness } from 'node:os';

const HOST_IS_LITTLE_ENDIAN = endianness() === 'LE';

export function encodePcm16Base64(pcm: Int16Array): string {
  const bytes = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  return (HOST_IS_LITTLE_ENDIAN ? bytes : Buffer.from(bytes).swap16()).toString('base64');
}

export interface DecodedPcm16 {
  pcm: Int16Array;
  /** A trailing odd byte cannot be a sample; it is dropped and reported here. */
  droppedBytes: number;
}

/**
 * Views little-endian PCM16 bytes as samples. An Int16Array needs an even byte offset, which a
 * slice of a larger buffer does not guarantee, so misaligned input is copied.
 */
export function pcm16FromBytes(bytes: Uint8Array): DecodedPcm16 {
  const droppedBytes = bytes.byteLength % 2;
  const usableBytes = bytes.byteLength - droppedBytes;
  let pcm: Int16Array;
  if (bytes.byteOffset % 2 === 0 && HOST_IS_LITTLE_ENDIAN) {
    pcm = new Int16Array(bytes.buffer, bytes.byteOffset, usableBytes / 2);
  } else {
    const copy = Buffer.from(bytes.subarray(0, usableBytes));
    if (!HOST_IS_LITTLE_ENDIAN) copy.swap16();
    pcm = new Int16Array(usableBytes / 2);
    new Uint8Array(pcm.buffer).set(copy);
  }
  return { pcm, droppedBytes };
}

export function decodePcm16Base64(base64: string): DecodedPcm16 {
  return pcm16FromBytes(Buffer.from(base64, 'base64'));
}
