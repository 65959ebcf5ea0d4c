/**
 * Minimal WAV (RIFF, PCM 16-bit mono) reading and writing for the simulated caller's fixtures
 * and recordings. Stopgap until src/audio/wav.ts lands; same job, swap when it does.
 */

export interface WavPcm16 {
  sampleRateHz: number;
  pcm: Int16Array;
}

/** Walks the chunks instead of assuming a 44-byte header: sox and espeak may add LIST chunks. */
export function decodeWavPcm16(bytes: Uint8Array): WavPcm16 {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (bytes.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw new Error('not a RIFF/WAVE file');
  let sampleRateHz: number | undefined;
  let at = 12;
  while (at + 8 <= bytes.length) {
    const id = tag(at);
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (id === 'fmt ') {
      const format = view.getUint16(body, true);
      const channels = view.getUint16(body + 2, true);
      const bits = view.getUint16(body + 14, true);
      if (format !== 1 || channels !== 1 || bits !== 16) {
        throw new Error(`WAV must be PCM 16-bit mono (format ${format}, ${channels} ch, ${bits} bit)`);
      }
      sampleRateHz = view.getUint32(body + 4, true);
    } else if (id === 'data') {
      if (sampleRateHz === undefined) throw new Error('WAV data chunk before fmt chunk');
      const length = Math.min(size, bytes.length - body) >> 1;
      const pcm = new Int16Array(length);
      for (let i = 0; i < length; i++) pcm[i] = view.getInt16(body + i * 2, true);
      return { sampleRateHz, pcm };
    }
    at = body + size + (size & 1); // chunks are word-aligned
  }
  throw new Error('WAV has no data chunk');
}

export function encodeWavPcm16({ sampleRateHz, pcm }: WavPcm16): Buffer {
  const dataBytes = pcm.length * 2;
  const out = Buffer.alloc(44 + dataBytes);
  out.write('RIFF', 0, 'ascii');
  out.writeUInt32LE(36 + dataBytes, 4);
  out.write('WAVE', 8, 'ascii');
  out.write('fmt ', 12, 'ascii');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20); // PCM
  out.writeUInt16LE(1, 22); // mono
  out.writeUInt32LE(sampleRateHz, 24);
  out.writeUInt32LE(sampleRateHz * 2, 28);
  out.writeUInt16LE(2, 32);
  out.writeUInt16LE(16, 34);
  out.write('data', 36, 'ascii');
  out.writeUInt32LE(dataBytes, 40);
  for (let i = 0; i < pcm.length; i++) out.writeInt16LE(pcm[i] ?? 0, 44 + i * 2);
  return out;
}
