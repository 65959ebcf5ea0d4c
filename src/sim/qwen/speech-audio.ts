/**
 * The agent's voice: 24 kHz PCM16 mono, from committed espeak-ng fixtures when the script names
 * one, otherwise a synthesized speech-like signal whose length follows the text. The synthetic
 * signal is deterministic (no randomness) so tests and demos behave the same on every run.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readWav, type WavAudio } from '../../audio/wav.js';
import type { ConversationScript, ScriptedSpeech } from './script.js';
import { scriptSpeeches } from './script.js';

export const OUTPUT_SAMPLE_RATE_HZ = 24_000;
export const INPUT_SAMPLE_RATE_HZ = 16_000;

const FIXTURE_NAME = /^[a-z0-9][a-z0-9-]*$/;

/** Fixtures live beside the simulator's sources so they ship with the repository, not the machine. */
const FIXTURES_DIR = new URL('../fixtures/', import.meta.url);

/** Loads and keeps the audio of one simulator instance's script. Everything is prepared at start:
 *  a misnamed fixture fails `startQwenSimulator` instead of a call in the middle of a demo, and
 *  no response waits for synthesis. */
export class SpeechLibrary {
  private readonly fixtures = new Map<string, Int16Array>();
  private readonly synthesized = new Map<string, Int16Array>();

  constructor(script: ConversationScript) {
    for (const speech of scriptSpeeches(script)) this.audioFor(speech);
  }

  audioFor(speech: ScriptedSpeech): Int16Array {
    if (speech.audio !== undefined) return this.loadFixture(speech.audio);
    let pcm = this.synthesized.get(speech.text);
    if (!pcm) {
      pcm = synthesizeSpeech(speech.text, OUTPUT_SAMPLE_RATE_HZ);
      this.synthesized.set(speech.text, pcm);
    }
    return pcm;
  }

  private loadFixture(name: string): Int16Array {
    const bare = name.endsWith('.wav') ? name.slice(0, -4) : name;
    const cached = this.fixtures.get(bare);
    if (cached) return cached;
    if (!FIXTURE_NAME.test(bare)) throw new Error(`invalid fixture name ${JSON.stringify(name)}`);
    const url = new URL(`${bare}.wav`, FIXTURES_DIR);
    const audio = readFixtureWav(readFileSync(fileURLToPath(url)), bare);
    if (audio.sampleRateHz !== OUTPUT_SAMPLE_RATE_HZ) {
      throw new Error(`fixture ${bare}: expected ${OUTPUT_SAMPLE_RATE_HZ} Hz, got ${audio.sampleRateHz} Hz`);
    }
    // readWav would mix a stereo file down; a stereo fixture means the wrong file was committed.
    if (audio.channelsInFile !== 1) throw new Error(`fixture ${bare}: expected mono, got stereo`);
    this.fixtures.set(bare, audio.samples);
    return audio.samples;
  }
}

/** readWav cannot know which file it was given; a failed start should name the fixture. */
function readFixtureWav(bytes: Buffer, name: string): WavAudio {
  try {
    return readWav(bytes);
  } catch (err) {
    throw new Error(`fixture ${name}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

// Timing of the synthetic voice, close to espeak-ng at 165-180 words per minute.
const SYLLABLE_MS = 190;
const WORD_GAP_MS = 40;
const COMMA_PAUSE_MS = 160;
const SENTENCE_PAUSE_MS = 320;
const MIN_DURATION_MS = 400;
const PEAK_AMPLITUDE = 0.3 * 32767; // about -10 dBFS: clearly speech to any VAD, never clipping

function syllableCount(word: string): number {
  const groups = word.toLowerCase().match(/[aeiouy]+/g);
  return Math.max(1, groups?.length ?? 0);
}

interface Segment {
  voiced: boolean;
  durationMs: number;
}

function speechSegments(text: string): Segment[] {
  const segments: Segment[] = [];
  for (const token of text.split(/\s+/).filter((t) => t !== '')) {
    const word = token.replace(/[^A-Za-z0-9']/g, '');
    if (word !== '') {
      const syllables = /^\d+$/.test(word) ? word.length : syllableCount(word);
      for (let i = 0; i < syllables; i++) segments.push({ voiced: true, durationMs: SYLLABLE_MS });
    }
    const pause = /[.!?]$/.test(token) ? SENTENCE_PAUSE_MS : /[,;:]$/.test(token) ? COMMA_PAUSE_MS : WORD_GAP_MS;
    segments.push({ voiced: false, durationMs: pause });
  }
  return segments;
}

/** Duration of the synthetic rendering of `text`; exported so callers can plan around it. */
export function synthesizedDurationMs(text: string): number {
  const total = speechSegments(text).reduce((sum, s) => sum + s.durationMs, 0);
  return Math.max(MIN_DURATION_MS, total);
}

/** Harmonic k of f0 weighted by 1/k and two fixed formant bumps (~550 Hz and ~1.6 kHz). */
function formantWeights(f0Hz: number, nyquistHz: number, into: Float64Array): void {
  for (let k = 1; k < into.length; k++) {
    const hz = k * f0Hz;
    const formants = 1 + 2 * Math.exp(-(((hz - 550) / 220) ** 2)) + Math.exp(-(((hz - 1600) / 350) ** 2));
    into[k] = hz < nyquistHz ? formants / k : 0;
  }
}

/**
 * A voiced signal with speech-like structure: a falling pitch contour (declination) around
 * 120 Hz, harmonics shaped by two fixed formant bumps, and a raised-cosine envelope per syllable
 * with pauses between words and sentences. Energy-based VADs and resamplers treat it like speech.
 */
export function synthesizeSpeech(text: string, sampleRateHz: number): Int16Array {
  const segments = speechSegments(text);
  const durationMs = synthesizedDurationMs(text);
  const total = Math.round((durationMs * sampleRateHz) / 1000);
  const out = new Int16Array(total);
  const harmonics = 14;
  const nyquistHz = sampleRateHz / 2;
  // Formant weights depend on the pitch, which moves slowly: recompute them every 5 ms only.
  const blockSamples = Math.max(1, Math.round(sampleRateHz / 200));
  const weights = new Float64Array(harmonics + 1);
  let phase = 0;
  let position = 0;
  if (segments.length === 0) segments.push({ voiced: true, durationMs });
  for (const segment of segments) {
    const length = Math.round((segment.durationMs * sampleRateHz) / 1000);
    for (let i = 0; i < length && position < total; i++, position++) {
      const progress = position / total;
      const f0Hz = 135 - 30 * progress + 8 * Math.sin(2 * Math.PI * 3 * (position / sampleRateHz));
      phase = (phase + (2 * Math.PI * f0Hz) / sampleRateHz) % (2 * Math.PI);
      if (!segment.voiced) continue; // the phase keeps running so the pitch stays continuous
      if (i % blockSamples === 0) formantWeights(f0Hz, nyquistHz, weights);
      const envelope = Math.sin((Math.PI * i) / length) ** 2;
      // sin(k·phase) for every k by the Chebyshev recurrence: two trig calls per sample, not 14.
      const twoCos = 2 * Math.cos(phase);
      let previous = 0;
      let current = Math.sin(phase);
      let value = 0;
      for (let k = 1; k <= harmonics; k++) {
        value += (weights[k] ?? 0) * current;
        const next = twoCos * current - previous;
        previous = current;
        current = next;
      }
      out[position] = Math.round(Math.max(-1, Math.min(1, (value / 3) * envelope)) * PEAK_AMPLITUDE);
    }
  }
  return out;
}
