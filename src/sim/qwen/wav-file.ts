/**
 * Minimal RIFF/WAVE reader for the simulator's fixtures: 16-bit integer PCM, any rate, mono.
 * Chunks other than `fmt ` and `data` (sox and espeak-ng may add LIST chunks) are skipped.
 * Also the PCM16 ⇄ little-endian bytes conversions the protocol's base64 payloads need.
 */
import { endianness } from 'node:os';

export interface Pcm16Audio {
  sampleRateHz: number;
  samples: Int16Array;
}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

export function parseWav(file: Buffer, what = 'WAV file'): Pcm16Audio {
  if (file.length < 12 || file.toString('ascii', 0, 4) !== 'RIFF' || file.toString('ascii', 8, 12) !== 'WAVE') {
    throw new Error(`${what}: not a RIFF/WAVE file`);
  }
  let format: { channels: number; sampleRateHz: number; bitsPerSample: number; formatTag: number } | undefined;
  let offset = 12;
  while (offset + 8 <= file.length) {
    const id = file.toString('ascii', offset, offset + 4);
    const size = file.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      format = {
        formatTag: file.readUInt16LE(body),
        channels: file.readUInt16LE(body + 2),
        sampleRateHz: file.readUInt32LE(body + 4),
        bitsPerSample: file.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      if (format === undefined) throw new Error(`${what}: data chunk before fmt chunk`);
      if (format.formatTag !== WAVE_FORMAT_PCM && format.formatTag !== WAVE_FORMAT_EXTENSIBLE) {
        throw new Error(`${what}: format ${format.formatTag} is not integer PCM`);
      }
      if (format.bitsPerSample !== 16 || format.channels !== 1) {
        const got = `${format.bitsPerSample}-bit with ${format.channels} channels`;
        throw new Error(`${what}: expected 16-bit mono, got ${got}`);
      }
      // Some writers leave the size at 0 or too large when streaming; clamp to what the file holds.
      const end = Math.min(body + (size === 0 ? file.length : size), file.length);
      return { sampleRateHz: format.sampleRateHz, samples: bufferToPcm16(file.subarray(body, end)) };
    }
    offset = body + size + (size % 2); // chunks are padded to an even length
  }
  throw new Error(`${what}: no data chunk`);
}

/** Little-endian PCM16 bytes, as the protocol carries them, whatever the host's byte order. */
export function pcm16ToBuffer(samples: Int16Array): Buffer {
  if (LITTLE_ENDIAN_HOST) return Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
  const out = Buffer.allocUnsafe(samples.length * 2);
  for (let i = 0; i < samples.length; i++) out.writeInt16LE(samples[i] ?? 0, i * 2);
  return out;
}

const LITTLE_ENDIAN_HOST = endianness() === 'LE';

/** PCM16 samples from little-endian bytes (a trailing odd byte is ignored). */
export function bufferToPcm16(bytes: Buffer): Int16Array {
  const count = Math.floor(bytes.length / 2);
  const samples = new Int16Array(count);
  if (LITTLE_ENDIAN_HOST) {
    // A byte copy into the typed array's own (aligned) memory: no per-sample calls.
    new Uint8Array(samples.buffer).set(bytes.subarray(0, count * 2));
  } else {
    for (let i = 0; i < count; i++) samples[i] = bytes.readInt16LE(i * 2);
  }
  return samples;
}
