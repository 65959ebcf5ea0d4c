import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readWav } from '../../src/audio/wav.js';
import { StereoWavRecorder } from '../../src/recording/stereo-wav-recorder.js';

const RATE = 8000;
const FRAME = 160; // 20 ms

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'qpb-rec-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function tone(hz: number, samples: number, amplitude = 8000): Int16Array {
  return Int16Array.from({ length: samples }, (_, i) => Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / RATE)) || 1);
}

/** Feeds `pcm` in 20 ms frames stamped from `atMs`, each stamp moved by `jitterMs(i)`. */
function feed(sink: (pcm: Int16Array, atMs: number) => void, pcm: Int16Array, atMs: number, jitterMs: (i: number) => number = () => 0): void {
  for (let i = 0; i * FRAME < pcm.length; i++) sink(pcm.slice(i * FRAME, (i + 1) * FRAME), atMs + i * 20 + jitterMs(i));
}

/** [first, last] index of non-zero samples. */
function extent(samples: Int16Array): [number, number] {
  let first = -1;
  let last = -1;
  samples.forEach((s, i) => {
    if (s !== 0) {
      if (first < 0) first = i;
      last = i;
    }
  });
  return [first, last];
}

function countZeroRuns(samples: Int16Array, from: number, to: number): number {
  let runs = 0;
  for (let i = from; i < to; i++) if (samples[i] === 0 && samples[i - 1] !== 0) runs += 1;
  return runs;
}

function recorder(name = 'call.wav', onError = vi.fn()): StereoWavRecorder {
  return new StereoWavRecorder({ path: join(dir, name), sampleRateHz: RATE, onError });
}

describe('the stereo call recorder', () => {
  it('puts the caller left and the agent right, each at the sample offset of its call time', async () => {
    const rec = recorder();
    const callerTone = tone(1000, 1600); // 200 ms at 0.5 s
    const agentTone = tone(440, 2400); // 300 ms at 1.0 s
    feed((pcm, at) => rec.callerAudio(pcm, at), callerTone, 500);
    feed((pcm, at) => rec.agentAudio(pcm, at), agentTone, 1000);
    rec.close();
    await rec.finished();

    const bytes = readFileSync(rec.path);
    const left = readWav(bytes, { stereo: 'left' });
    const right = readWav(bytes, { stereo: 'right' });
    expect(left.channelsInFile).toBe(2);
    expect(left.sampleRateHz).toBe(RATE);
    expect(extent(left.samples)).toEqual([4000, 5599]);
    expect(extent(right.samples)).toEqual([8000, 10_399]);
    expect(left.samples.subarray(4000, 5600)).toEqual(callerTone);
    expect(right.samples.subarray(8000, 10_400)).toEqual(agentTone);
    // The header was patched with the real sizes.
    expect(bytes.readUInt32LE(40)).toBe(bytes.length - 44);
    expect(bytes.readUInt32LE(4)).toBe(bytes.length - 8);
    expect(left.samples).toHaveLength(10_400);
  });

  it('lays jittered frames end to end (no holes, no overlaps) and starts a channel again at its time after a pause', async () => {
    const rec = recorder();
    const speech = tone(700, 50 * FRAME); // 1 s
    const jitter = (i: number) => [0, 12, -7, 15, 3, -11][i % 6]!;
    feed((pcm, at) => rec.callerAudio(pcm, at), speech, 100, jitter);
    // The agent answers twice, with a 2 s pause between.
    feed((pcm, at) => rec.agentAudio(pcm, at), speech, 1500, jitter);
    feed((pcm, at) => rec.agentAudio(pcm, at), speech, 4500);
    rec.close();
    await rec.finished();

    const bytes = readFileSync(rec.path);
    const left = readWav(bytes, { stereo: 'left' }).samples;
    const right = readWav(bytes, { stereo: 'right' }).samples;
    expect(extent(left)).toEqual([800, 800 + speech.length - 1]);
    expect(countZeroRuns(left, 801, 800 + speech.length)).toBe(0);
    expect(right.subarray(12_000, 12_000 + speech.length)).toEqual(speech);
    expect(right.subarray(36_000, 36_000 + speech.length)).toEqual(speech);
    expect(right.subarray(12_000 + speech.length, 36_000).every((s) => s === 0)).toBe(true);
  });

  it('streams a long call to disk as it goes, holding only a few seconds in memory', async () => {
    const rec = recorder();
    const frame = tone(300, FRAME);
    const minutes = 10;
    let maxBufferedMs = 0;
    for (let ms = 0; ms < minutes * 60_000; ms += 20) {
      rec.callerAudio(frame, ms);
      // The agent talks now and then: 3 s out of every 10.
      if (ms % 10_000 < 3000) rec.agentAudio(frame, ms + 5);
      maxBufferedMs = Math.max(maxBufferedMs, rec.bufferedMs);
      if (ms % 5000 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    const onDiskBeforeClose = statSync(rec.path).size;
    rec.close();
    await rec.finished();

    expect(maxBufferedMs).toBeLessThan(1500);
    expect(onDiskBeforeClose).toBeGreaterThan(44 + (minutes * 60 - 2) * RATE * 4);
    const size = statSync(rec.path).size;
    expect(size).toBe(44 + minutes * 60 * RATE * 4);
  });

  it('reports a file it cannot create and never throws into the call', async () => {
    const onError = vi.fn();
    const rec = new StereoWavRecorder({ path: join(dir, 'missing', 'call.wav'), sampleRateHz: RATE, onError });
    expect(() => {
      rec.callerAudio(tone(440, FRAME), 0);
      rec.close();
    }).not.toThrow();
    await rec.finished();
    expect(onError).toHaveBeenCalledTimes(1);
    expect((onError.mock.calls[0]![0] as NodeJS.ErrnoException).code).toBe('ENOENT');
  });
});
