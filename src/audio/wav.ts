/**
 * WAV (RIFF) PCM16 reading and writing for greeting recordings, simulator fixtures and call
 * recordings. Only 16-bit PCM is read: anything else is rejected with the reason, because playing
 * 8-bit, float or G.711 data as PCM16 would be loud noise on a live call.
 */
import { pcm16FromBytes } from './pcm.js';

export interface WavAudio {
  sampleRateHz: number;
  /** Mono samples (stereo files are mixed down or one channel is taken; see `WavReadOptions`). */
  samples: Int16Array;
  /** How many channels the file had. */
  channelsInFile: 1 | 2;
}

export interface WavReadOptions {
  /** What to do with a stereo file: average both channels (default) or keep one. */
  stereo?: 'mix' | 'left' | 'right';
}

const FORMAT_PCM = 0x0001;
const FORMAT_EXTENSIBLE = 0xfffe;
const FORMAT_NAMES: Record<number, string> = { 3: 'IEEE float', 6: 'A-law', 7: 'mu-law', 0x11: 'IMA ADPCM' };

interface WavFormat {
  channels: 1 | 2;
  sampleRateHz: number;
}

function fourCc(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at] ?? 0, bytes[at + 1] ?? 0, bytes[at + 2] ?? 0, bytes[at + 3] ?? 0);
}

function parseFormat(view: DataView, body: number, size: number): WavFormat {
  if (size < 16) throw new Error(`WAV fmt chunk is ${size} bytes, expected at least 16`);
  let format = view.getUint16(body, true);
  const channels = view.getUint16(body + 2, true);
  const sampleRateHz = view.getUint32(body + 4, true);
  const bits = view.getUint16(body + 14, true);
  // WAVE_FORMAT_EXTENSIBLE keeps the real format in the first two bytes of its sub-format GUID.
  if (format === FORMAT_EXTENSIBLE && size >= 40) format = view.getUint16(body + 24, true);
  if (format !== FORMAT_PCM) {
    const name = FORMAT_NAMES[format] ?? `format 0x${format.toString(16)}`;
    throw new Error(`WAV encoding ${name} is not supported; convert to 16-bit PCM`);
  }
  if (bits !== 16) throw new Error(`WAV is ${bits}-bit PCM; only 16-bit PCM is supported`);
  if (channels !== 1 && channels !== 2) {
    throw new Error(`WAV has ${channels} channels; only mono and stereo are supported`);
  }
  if (sampleRateHz === 0) throw new Error('WAV sample rate is 0');
  return { channels, sampleRateHz };
}

function toMono(interleaved: Int16Array, mode: 'mix' | 'left' | 'right'): Int16Array {
  const frames = interleaved.length >> 1;
  const mono = new Int16Array(frames);
  if (mode === 'mix') {
    for (let i = 0; i < frames; i++) mono[i] = (interleaved[2 * i]! + interleaved[2 * i + 1]!) >> 1;
  } else {
    const offset = mode === 'left' ? 0 : 1;
    for (let i = 0; i < frames; i++) mono[i] = interleaved[2 * i + offset]!;
  }
  return mono;
}

/** Walks the chunks rather than assuming a 44-byte header: sox, espeak and DAWs add LIST/fact chunks. */
export function readWav(bytes: Uint8Array, options: WavReadOptions = {}): WavAudio {
  if (bytes.length < 12 || fourCc(bytes, 0) !== 'RIFF' || fourCc(bytes, 8) !== 'WAVE') {
    throw new Error('not a RIFF/WAVE file');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let format: WavFormat | undefined;
  for (let at = 12; at + 8 <= bytes.length; ) {
    const id = fourCc(bytes, at);
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (id === 'fmt ') {
      format = parseFormat(view, body, Math.min(size, bytes.length - body));
    } else if (id === 'data') {
      if (format === undefined) throw new Error('WAV data chunk comes before its fmt chunk');
      // Streaming writers leave the size at 0 or 0xffffffff: take what the file holds.
      const available = bytes.length - body;
      const dataBytes = size === 0 || size > available ? available : size;
      const frameBytes = 2 * format.channels;
      const usable = dataBytes - (dataBytes % frameBytes);
      // slice(): the result must not alias the caller's file buffer.
      const interleaved = pcm16FromBytes(bytes.subarray(body, body + usable)).slice();
      const samples = format.channels === 1 ? interleaved : toMono(interleaved, options.stereo ?? 'mix');
      return { sampleRateHz: format.sampleRateHz, samples, channelsInFile: format.channels };
    }
    at = body + size + (size & 1); // chunks are padded to even sizes
  }
  throw new Error(format === undefined ? 'WAV has no fmt chunk' : 'WAV has no data chunk');
}

/**
 * A 16-bit PCM WAV with one or two channels. Stereo channels of different lengths (a recording's
 * caller and agent tracks) are padded with silence to the longer one.
 */
export function writeWav(
  sampleRateHz: number,
  channels: readonly [Int16Array] | readonly [Int16Array, Int16Array],
): Buffer {
  if (!Number.isInteger(sampleRateHz) || sampleRateHz <= 0) {
    throw new RangeError(`sampleRateHz must be a positive integer, got ${sampleRateHz}`);
  }
  const channelCount = channels.length;
  const frames = Math.max(...channels.map((channel) => channel.length));
  const dataBytes = frames * channelCount * 2;
  if (dataBytes > 0xffff_ffff - 36) throw new RangeError('audio too long for a WAV file');
  const out = Buffer.alloc(44 + dataBytes);
  out.write('RIFF', 0, 'ascii');
  out.writeUInt32LE(36 + dataBytes, 4);
  out.write('WAVE', 8, 'ascii');
  out.write('fmt ', 12, 'ascii');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(FORMAT_PCM, 20);
  out.writeUInt16LE(channelCount, 22);
  out.writeUInt32LE(sampleRateHz, 24);
  out.writeUInt32LE(sampleRateHz * channelCount * 2, 28);
  out.writeUInt16LE(channelCount * 2, 32);
  out.writeUInt16LE(16, 34);
  out.write('data', 36, 'ascii');
  out.writeUInt32LE(dataBytes, 40);
  for (let c = 0; c < channelCount; c++) {
    const channel = channels[c]!;
    for (let i = 0; i < channel.length; i++) out.writeInt16LE(channel[i]!, 44 + (i * channelCount + c) * 2);
  }
  return out;
}
