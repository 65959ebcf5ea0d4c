import { stat } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CALLER_FIXTURES, callerFixtureUrl, loadCallerFixture, type CallerFixture } from '../../../src/sim/caller/fixtures.js';

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
