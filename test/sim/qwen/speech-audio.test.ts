import { readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readWav } from '../../../src/audio/wav.js';
import { startQwenSimulator } from '../../../src/sim/qwen/index.js';
import { SUPPORT_LINE_SCRIPT, scriptSpeeches } from '../../../src/sim/qwen/script.js';
import { SpeechLibrary, synthesizedDurationMs, synthesizeSpeech } from '../../../src/sim/qwen/speech-audio.js';
import { transcriptPreviews } from '../../../src/sim/qwen/transcription.js';

const FIXTURES = new URL('../../../src/sim/fixtures/', import.meta.url);

describe('agent speech fixtures', () => {
  const named = scriptSpeeches(SUPPORT_LINE_SCRIPT).flatMap((s) => (s.audio === undefined ? [] : [s.audio]));
  const names = [...new Set(named)];

  it('are 24 kHz mono PCM16 WAV files, small enough to commit', () => {
    expect(names.sort()).toEqual(['agent-goodbye', 'agent-greeting', 'agent-opening-hours', 'agent-order-status']);
    let totalBytes = 0;
    for (const name of names) {
      const url = new URL(`${name}.wav`, FIXTURES);
      const wav = readWav(readFileSync(url));
      expect(wav.sampleRateHz, name).toBe(24_000);
      expect(wav.channelsInFile, name).toBe(1);
      totalBytes += statSync(url).size;
    }
    expect(totalBytes).toBeLessThan(620_000);
  });

  it('give the order-status answer at least 6 s, long enough to barge into', () => {
    const library = new SpeechLibrary(SUPPORT_LINE_SCRIPT);
    const answer = SUPPORT_LINE_SCRIPT.turns[0]!.reply as { text: string; audio: string };
    expect(library.audioFor(answer).length / 24_000).toBeGreaterThanOrEqual(6);
  });

  it('make startQwenSimulator fail at once when a script names a missing fixture', async () => {
    const missing = startQwenSimulator({ script: { greeting: { text: 'Hi', audio: 'agent-missing' } } });
    await expect(missing).rejects.toThrow(/agent-missing/);
    const outside = startQwenSimulator({ script: { greeting: { text: 'Hi', audio: '../secrets' } } });
    await expect(outside).rejects.toThrow(/invalid fixture name/);
  });

  it('reject options that would send audio slower than real time', async () => {
    await expect(startQwenSimulator({ timing: { speedFactor: 0.5 } })).rejects.toThrow(/speedFactor/);
  });
});

describe('synthesized speech', () => {
  it('lasts about as long as espeak-ng would take to say the text', () => {
    expect(synthesizedDurationMs("We're open weekdays, nine to six.")).toBeGreaterThan(1_800);
    expect(synthesizedDurationMs("We're open weekdays, nine to six.")).toBeLessThan(3_000);
    const pcm = synthesizeSpeech('Are you still there?', 24_000);
    expect(pcm.length).toBe(Math.round((synthesizedDurationMs('Are you still there?') * 24_000) / 1000));
  });

  it('has syllable-rate pauses and never clips', () => {
    const pcm = synthesizeSpeech('One, two, three.', 24_000);
    let peak = 0;
    let silentWindows = 0;
    for (let start = 0; start + 480 <= pcm.length; start += 480) {
      let energy = 0;
      for (let i = start; i < start + 480; i++) {
        energy += pcm[i]! * pcm[i]!;
        peak = Math.max(peak, Math.abs(pcm[i]!));
      }
      if (energy / 480 < 100) silentWindows++;
    }
    expect(peak).toBeLessThan(32_767);
    expect(peak).toBeGreaterThan(5_000);
    expect(silentWindows).toBeGreaterThan(3);
  });
});

describe('caller transcript previews', () => {
  it('grow a confirmed text, revise the stash once, and end with the whole transcript', () => {
    const transcript = 'Can I talk to someone in sales please?';
    const previews = transcriptPreviews(transcript);
    expect(previews.at(-1)).toEqual({ text: transcript, stash: '' });
    for (let i = 1; i < previews.length; i++) expect(previews[i]!.text.startsWith(previews[i - 1]!.text)).toBe(true);
    const revised = previews.map((p) => p.text + p.stash).filter((p) => !transcript.startsWith(p));
    expect(revised).toHaveLength(1);
  });
});
