import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { createCallRecordings } from '../../src/recording/call-recordings.js';

describe('call recordings folder', () => {
  it('names files by call id (made safe), and finished() waits for headers to be patched', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'qpb-recs-')), 'nested');
    const onError = vi.fn();
    const recordings = createCallRecordings(dir, onError);
    expect(recordings.pathFor('../../etc/passwd')).toBe(join(dir, '.._.._etc_passwd.wav'));
    const tap = recordings.open('3f0c9a1e-call', 8000);
    tap.callerAudio(new Int16Array(160).fill(1000), 0);
    tap.agentAudio(new Int16Array(160).fill(-1000), 0);
    tap.close();
    await recordings.finished();
    const bytes = readFileSync(join(dir, '3f0c9a1e-call.wav'));
    expect(bytes.readUInt32LE(40)).toBe(160 * 4);
    expect(bytes.readInt16LE(44)).toBe(1000);
    expect(bytes.readInt16LE(46)).toBe(-1000);
    expect(onError).not.toHaveBeenCalled();
    rmSync(dir, { recursive: true, force: true });
  });
});
