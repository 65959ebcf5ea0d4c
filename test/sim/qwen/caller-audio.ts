/**
 * Caller audio for the simulator tests: a real espeak-ng recording ("Hi, where is my order?",
 * 8 kHz) brought to the 16 kHz the service expects, silence, and 100 ms append events.
 */
import { readFileSync } from 'node:fs';
import { pcm16ToBase64 } from '../../../src/audio/pcm.js';
import { readWav } from '../../../src/audio/wav.js';

export const INPUT_RATE_HZ = 16_000;

/** The recording at 16 kHz (linear interpolation is plenty for an energy detector). */
export function callerQuestion16k(): Int16Array {
  const wav = readWav(readFileSync(new URL('../../fixtures/qwen-sim-caller-where-is-my-order-8k.wav', import.meta.url)));
  if (wav.sampleRateHz !== 8_000) throw new Error('expected an 8 kHz caller fixture');
  const src = wav.samples;
  const out = new Int16Array(src.length * 2);
  for (let i = 0; i < src.length; i++) {
    const a = src[i]!;
    const b = src[i + 1] ?? a;
    out[2 * i] = a;
    out[2 * i + 1] = Math.round((a + b) / 2);
  }
  return out;
}

export function silence(ms: number): Int16Array {
  return new Int16Array(Math.round((ms * INPUT_RATE_HZ) / 1000));
}

export function concat(...parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function durationMs(samples: Int16Array, rateHz = INPUT_RATE_HZ): number {
  return Math.round((samples.length * 1000) / rateHz);
}

/** input_audio_buffer.append events of `chunkMs` each, as a client sends them. */
export function appendEvents(samples: Int16Array, chunkMs = 100): Array<Record<string, unknown>> {
  const step = Math.round((chunkMs * INPUT_RATE_HZ) / 1000);
  const events: Array<Record<string, unknown>> = [];
  for (let i = 0; i < samples.length; i += step) {
    const audio = pcm16ToBase64(samples.subarray(i, i + step));
    events.push({ type: 'input_audio_buffer.append', audio });
  }
  return events;
}
