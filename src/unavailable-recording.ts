/**
 * The recording a call plays when the model cannot be reached, read once at start so a missing
 * or unreadable file stops the bridge then, not during a caller's worst moment.
 */
import { readFileSync } from 'node:fs';
import { readWav } from './audio/wav.js';
import type { UnavailableAudio } from './call/call.js';

export function loadUnavailableRecording(spec: { path: string; transcript: string } | null): UnavailableAudio | undefined {
  if (spec === null) return undefined;
  let wav;
  try {
    wav = readWav(readFileSync(spec.path));
  } catch (err) {
    throw new Error(`calls.unavailable.path: cannot read ${spec.path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (wav.sampleRateHz !== 8000 && wav.sampleRateHz !== 16000) {
    throw new Error(`calls.unavailable.path: ${spec.path} is ${wav.sampleRateHz} Hz; write it at 8000 or 16000 Hz`);
  }
  if (wav.samples.length === 0) throw new Error(`calls.unavailable.path: ${spec.path} has no audio`);
  return { pcm: wav.samples, sampleRateHz: wav.sampleRateHz, transcript: spec.transcript };
}
