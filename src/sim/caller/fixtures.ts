/**
 * The caller's recorded utterances (espeak-ng, 8 kHz mono PCM16, committed so CI needs no TTS).
 * Paths resolve from this module, so the simulator works from any working directory.
 */
import { readFile } from 'node:fs/promises';
import { readWav } from '../../audio/wav.js';

export const CALLER_FIXTURES = {
  'order-status': "Hi, I'd like to check the status of my order.",
  'opening-hours': 'Sorry, actually, what are your opening hours?',
  goodbye: "Thanks, that's all. Goodbye.",
} as const;

export type CallerFixture = keyof typeof CALLER_FIXTURES;

export const CALLER_FIXTURE_RATE_HZ = 8000;

export function callerFixtureUrl(name: CallerFixture): URL {
  return new URL(`../fixtures/caller-${name}.wav`, import.meta.url);
}

const cache = new Map<CallerFixture, Promise<Int16Array>>();

/** The utterance as 8 kHz PCM16. Loaded once per process: a load test reuses it for every caller. */
export function loadCallerFixture(name: CallerFixture): Promise<Int16Array> {
  let pending = cache.get(name);
  if (pending === undefined) {
    pending = readFile(callerFixtureUrl(name)).then((bytes) => {
      const wav = readWav(bytes);
      if (wav.sampleRateHz !== CALLER_FIXTURE_RATE_HZ) {
        throw new Error(`caller fixture ${name} is ${wav.sampleRateHz} Hz, expected ${CALLER_FIXTURE_RATE_HZ}`);
      }
      // readWav would mix a stereo file down; a stereo fixture means the wrong file was committed.
      if (wav.channelsInFile !== 1) throw new Error(`caller fixture ${name} is stereo, expected mono`);
      return wav.samples;
    });
    cache.set(name, pending);
  }
  return pending;
}
