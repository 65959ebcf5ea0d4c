import { describe, expect, it } from 'vitest';
import { synthesizeSpeech } from '../../../src/sim/qwen/speech-audio.js';
import { EnergyVad, thresholdToDbfs, type VadEvent } from '../../../src/sim/qwen/vad.js';
import { callerQuestion16k, concat, silence } from './caller-audio.js';

const RATE_HZ = 16_000;

function tone(ms: number, amplitude: number): Int16Array {
  const out = new Int16Array((ms * RATE_HZ) / 1000);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * 300 * i) / RATE_HZ));
  return out;
}

function run(samples: Int16Array, threshold = 0.5, silenceDurationMs = 500, chunk = 1_600): VadEvent[] {
  const vad = new EnergyVad({ threshold, silenceDurationMs, sampleRateHz: RATE_HZ });
  const events: VadEvent[] = [];
  for (let i = 0; i < samples.length; i += chunk) events.push(...vad.push(samples.subarray(i, i + chunk)));
  return events;
}

describe('EnergyVad', () => {
  it('maps threshold -1 … 1 linearly onto -70 … -20 dBFS', () => {
    expect(thresholdToDbfs(-1)).toBe(-70);
    expect(thresholdToDbfs(0.5)).toBe(-32.5);
    expect(thresholdToDbfs(1)).toBe(-20);
  });

  it('finds one segment in real speech, at the right audio positions, whatever the chunking', () => {
    const speech = callerQuestion16k();
    const audio = concat(silence(1_000), speech, silence(1_000));
    for (const chunk of [320, 1_600, 7_777]) {
      const events = run(audio, 0.5, 500, chunk);
      expect(events.map((e) => e.type)).toEqual(['speech_started', 'speech_stopped']);
      const [started, stopped] = events as [
        Extract<VadEvent, { type: 'speech_started' }>,
        Extract<VadEvent, { type: 'speech_stopped' }>,
      ];
      expect(started.audioStartMs).toBeGreaterThanOrEqual(1_000);
      expect(started.audioStartMs).toBeLessThan(1_150);
      const speechEndMs = 1_000 + (speech.length * 1000) / RATE_HZ;
      expect(stopped.audioEndMs).toBeGreaterThan(speechEndMs - 150);
      expect(stopped.audioEndMs).toBeLessThanOrEqual(speechEndMs + 20);
      // Detected only once the silence lasted silence_duration_ms.
      expect((stopped.detectedAtSample - stopped.endSample) / 16).toBe(500);
    }
  });

  it('waits for the configured silence before ending speech', () => {
    const audio = concat(tone(300, 8_000), silence(400), tone(300, 8_000), silence(900));
    expect(run(audio, 0.5, 600).map((e) => e.type)).toEqual(['speech_started', 'speech_stopped']);
    const twoSegments = ['speech_started', 'speech_stopped', 'speech_started', 'speech_stopped'];
    expect(run(audio, 0.5, 300).map((e) => e.type)).toEqual(twoSegments);
  });

  it('becomes less sensitive as the threshold rises', () => {
    const quiet = concat(tone(400, 300), silence(800)); // about -43 dBFS RMS
    expect(run(quiet, 0.5)).toEqual([]);
    expect(run(quiet, -0.5).map((e) => e.type)).toEqual(['speech_started', 'speech_stopped']);
    const moderate = concat(tone(400, 2_000), silence(800)); // about -27 dBFS RMS
    expect(run(moderate, 0.5)).toHaveLength(2);
    expect(run(moderate, 1)).toEqual([]);
  });

  it('hears the synthesized agent voice as speech', () => {
    const speech = concat(synthesizeSpeech('Hello there, how are you?', RATE_HZ), silence(800));
    expect(run(speech, 0.5).map((e) => e.type)).toEqual(['speech_started', 'speech_stopped']);
  });

  it('ignores a click shorter than the minimum speech length', () => {
    expect(run(concat(silence(200), tone(40, 20_000), silence(1_000)))).toEqual([]);
  });
});
