/**
 * Where call recordings live: one stereo WAV per call in one folder, named by call id, and the
 * retention sweep that deletes old ones (by modification time: the time the call last wrote).
 */
import { mkdirSync } from 'node:fs';
import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { CallAudioTap } from '../call/call.js';
import { StereoWavRecorder } from './stereo-wav-recorder.js';

export interface CallRecordings {
  readonly dir: string;
  /** A recorder for a new call. */
  open(callId: string, sampleRateHz: number): CallAudioTap;
  /** Resolves when every recording opened so far is complete on disk (shutdown). */
  finished(): Promise<void>;
  /** Delete recordings last written before this time; returns how many. */
  deleteOlderThan(epochMs: number): Promise<number>;
  pathFor(callId: string): string;
}

/** Call ids are UUIDs; anything else is made safe to use as a file name rather than trusted. */
function fileNameFor(callId: string): string {
  return `${callId.replace(/[^A-Za-z0-9._-]/g, '_')}.wav`;
}

export function createCallRecordings(dir: string, onError: (callId: string, err: Error) => void): CallRecordings {
  mkdirSync(dir, { recursive: true });
  const pathFor = (callId: string): string => join(dir, fileNameFor(callId));
  // Recordings still being written: a file's header is patched after its call ends.
  const open = new Set<StereoWavRecorder>();
  return {
    dir,
    pathFor,
    open(callId, sampleRateHz) {
      const recorder = new StereoWavRecorder({ path: pathFor(callId), sampleRateHz, onError: (err) => onError(callId, err) });
      open.add(recorder);
      void recorder.finished().then(() => open.delete(recorder));
      return recorder;
    },
    async finished() {
      await Promise.all([...open].map((recorder) => recorder.finished()));
    },
    async deleteOlderThan(epochMs) {
      let deleted = 0;
      for (const name of await readdir(dir)) {
        if (!name.endsWith('.wav')) continue;
        const path = join(dir, name);
        try {
          if ((await stat(path)).mtimeMs < epochMs) {
            await unlink(path);
            deleted += 1;
          }
        } catch (err) {
          // Deleted meanwhile (an operator, another sweep): nothing left to do.
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
      }
      return deleted;
    },
  };
}
