import { readFile, stat } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CALLER_FIXTURES, callerFixtureUrl, loadCallerFixture, type CallerFixture } from '../../../src/sim/caller/fixtures.js';
import { decodeWavPcm16, encodeWavPcm16 } from '../../../src/sim/caller/wav-file.js';

describe('caller fixtures', () => {
  const names = Object.keys(CALLER_FIXTURES) as CallerFixture[];

  it('are 8 kHz speech of a plausible length, small enough to commit', async () => {
    let totalBytes = 0;
    for (const name of names) {
      totalBytes += (await stat(callerFixtureUrl(name))).size;
      const pcm = await loadCallerFixture(name);
      const seconds = pcm.length / 8000;
      expect(seconds, name).toBeGreaterThan(1.5);
      expect(seconds, name).toBeLessThan(5);
      const peak = pcm.reduce((max, s) => Math.max(max, Math.abs(s)), 0);
      expect(peak, name).toBeGreaterThan(3000);
    }
    expect(totalBytes).toBeLessThan(300 * 1024);
  });
});

describe('wav-file', () => {
  it('round-trips PCM16 mono', () => {
    const pcm = Int16Array.from([0, 1, -1, 32767, -32768]);
    expect(decodeWavPcm16(encodeWavPcm16({ sampleRateHz: 16000, pcm }))).toEqual({ sampleRateHz: 16000, pcm });
  });

  it('skips chunks it does not know, such as LIST', async () => {
    const plain = encodeWavPcm16({ sampleRateHz: 8000, pcm: Int16Array.from([5, -5]) });
    const list = Buffer.concat([Buffer.from('LIST'), Buffer.from([3, 0, 0, 0]), Buffer.from('abc'), Buffer.from([0])]);
    const withList = Buffer.concat([plain.subarray(0, 36), list, plain.subarray(36)]);
    expect([...decodeWavPcm16(withList).pcm]).toEqual([5, -5]);
    const real = decodeWavPcm16(await readFile(callerFixtureUrl('goodbye')));
    expect(real.sampleRateHz).toBe(8000);
  });

  it('refuses what it cannot read', () => {
    expect(() => decodeWavPcm16(Buffer.from('not a wav file at all'))).toThrow(/RIFF/);
  });
});
