import { describe, expect, it } from 'vitest';
import { readWav, writeWav } from '../../src/audio/wav.js';
import { testSignal } from './signals.js';

/** A WAV header + data with a chosen fmt chunk, for formats writeWav never produces. */
function wavWith(fmt: Buffer, data: Buffer, extraChunks: Buffer[] = []): Buffer {
  const chunk = (id: string, body: Buffer) => {
    const header = Buffer.alloc(8);
    header.write(id, 0, 'ascii');
    header.writeUInt32LE(body.length, 4);
    return Buffer.concat([header, body, Buffer.alloc(body.length & 1)]);
  };
  const lists = extraChunks.map((list) => chunk('LIST', list));
  const body = Buffer.concat([Buffer.from('WAVE'), chunk('fmt ', fmt), ...lists, chunk('data', data)]);
  const riff = Buffer.alloc(8);
  riff.write('RIFF', 0, 'ascii');
  riff.writeUInt32LE(body.length, 4);
  return Buffer.concat([riff, body]);
}

function fmtChunk(format: number, channels: number, rateHz: number, bits: number): Buffer {
  const fmt = Buffer.alloc(16);
  fmt.writeUInt16LE(format, 0);
  fmt.writeUInt16LE(channels, 2);
  fmt.writeUInt32LE(rateHz, 4);
  fmt.writeUInt32LE((rateHz * channels * bits) / 8, 8);
  fmt.writeUInt16LE((channels * bits) / 8, 12);
  fmt.writeUInt16LE(bits, 14);
  return fmt;
}

describe('WAV', () => {
  it('round-trips mono PCM16', () => {
    const samples = testSignal(1234, 8000);
    const wav = readWav(writeWav(8000, [samples]));
    expect(wav.sampleRateHz).toBe(8000);
    expect(wav.channelsInFile).toBe(1);
    expect(Array.from(wav.samples)).toEqual(Array.from(samples));
  });

  it('writes stereo, padding the shorter channel, and reads it mixed or as one channel', () => {
    const left = Int16Array.from([100, 200, -300, 32_767]);
    const right = Int16Array.from([300, -200]);
    const file = writeWav(16_000, [left, right]);
    expect(file.readUInt16LE(22)).toBe(2);
    expect(file.readUInt32LE(40)).toBe(16);
    expect(Array.from(readWav(file).samples)).toEqual([200, 0, -150, 16_383]);
    expect(Array.from(readWav(file, { stereo: 'left' }).samples)).toEqual(Array.from(left));
    expect(Array.from(readWav(file, { stereo: 'right' }).samples)).toEqual([300, -200, 0, 0]);
    expect(readWav(file).channelsInFile).toBe(2);
  });

  it('skips other chunks, including odd-sized ones', () => {
    const data = Buffer.from(Int16Array.from([1, -1, 2]).buffer);
    const wav = readWav(wavWith(fmtChunk(1, 1, 24_000, 16), data, [Buffer.from('abc')]));
    expect(wav.sampleRateHz).toBe(24_000);
    expect(Array.from(wav.samples)).toEqual([1, -1, 2]);
  });

  it('reads to the end of the file when the data size is left open', () => {
    const file = writeWav(8000, [Int16Array.from([5, 6, 7])]);
    file.writeUInt32LE(0xffff_ffff, 40);
    expect(Array.from(readWav(file).samples)).toEqual([5, 6, 7]);
  });

  it('accepts WAVE_FORMAT_EXTENSIBLE with a PCM sub-format', () => {
    const fmt = Buffer.concat([fmtChunk(0xfffe, 1, 16_000, 16), Buffer.alloc(24)]);
    fmt.writeUInt16LE(22, 16);
    fmt.writeUInt16LE(1, 24); // sub-format GUID starts with WAVE_FORMAT_PCM
    expect(Array.from(readWav(wavWith(fmt, Buffer.from([4, 0]))).samples)).toEqual([4]);
  });

  it.each([
    { what: 'mu-law', fmt: fmtChunk(7, 1, 8000, 8), error: /mu-law is not supported/ },
    { what: 'float', fmt: fmtChunk(3, 1, 8000, 32), error: /IEEE float is not supported/ },
    { what: '8-bit PCM', fmt: fmtChunk(1, 1, 8000, 8), error: /8-bit PCM/ },
    { what: '6 channels', fmt: fmtChunk(1, 6, 8000, 16), error: /6 channels/ },
  ])('rejects $what with a clear error', ({ fmt, error }) => {
    expect(() => readWav(wavWith(fmt, Buffer.alloc(12)))).toThrow(error);
  });

  it('rejects files that are not WAV or have no data', () => {
    expect(() => readWav(Buffer.from('ID3 this is an mp3'))).toThrow(/RIFF/);
    const noData = wavWith(fmtChunk(1, 1, 8000, 16), Buffer.alloc(0)).subarray(0, 36);
    expect(() => readWav(noData)).toThrow(/no data chunk/);
  });
});
