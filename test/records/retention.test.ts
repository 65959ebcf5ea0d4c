/**
 * Retention: the hourly sweeps delete call records and recordings older than their configured
 * ages, on timers driven here by fake time.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { setupRecords, type RecordsSetup } from '../../src/records-setup.js';
import { DAY_MS } from '../../src/records/retention-timer.js';
import { sampleRecord } from './sample-record.js';

const T0 = Date.UTC(2025, 5, 1, 12, 0, 0);
let dir: string;
let records: RecordsSetup | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'qpb-retention-'));
  // Only the clock and intervals are fake: file system callbacks need real timers.
  vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] });
  vi.setSystemTime(T0);
});
afterEach(async () => {
  await records?.close();
  records = undefined;
  vi.useRealTimers();
  rmSync(dir, { recursive: true, force: true });
});

/** Lets `n` hourly sweeps run, each to its end. */
async function hours(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await vi.advanceTimersByTimeAsync(3_600_000);
    await records!.sweepsIdle();
  }
}

function recordingFile(name: string, ageMs: number): string {
  const path = join(dir, 'recordings', name);
  mkdirSync(join(dir, 'recordings'), { recursive: true });
  writeFileSync(path, 'RIFF');
  const at = (T0 - ageMs) / 1000;
  utimesSync(path, at, at);
  return path;
}

describe('retention', () => {
  it('deletes old records at start and then hourly; keeps recent ones', async () => {
    const config = loadConfig({});
    config.records.dbPath = join(dir, 'calls.sqlite');
    config.records.retentionDays = 30;
    records = setupRecords(config, pino({ level: 'silent' }));
    const ancient = sampleRecord({ endedAt: T0 - 40 * DAY_MS });
    const aging = sampleRecord({ endedAt: T0 - 29.5 * DAY_MS });
    const fresh = sampleRecord({ endedAt: T0 - DAY_MS });
    await records.store.put([ancient, aging, fresh]);

    records.start();
    await records.sweepsIdle();
    expect(await records.store.getJson(ancient.callId)).toBeUndefined();
    expect(await records.store.getJson(aging.callId)).toBeDefined();

    // Half a day later an hourly sweep finds the aging record past 30 days.
    await hours(11);
    expect(await records.store.getJson(aging.callId)).toBeDefined();
    await hours(2);
    expect(await records.store.getJson(aging.callId)).toBeUndefined();
    expect(await records.store.getJson(fresh.callId)).toBeDefined();
  });

  it('deletes recordings older than recording.retentionDays', async () => {
    const config = loadConfig({});
    config.records.dbPath = ':memory:';
    config.records.recording = { enabled: true, dir: join(dir, 'recordings'), retentionDays: 7 };
    const old = recordingFile('old.wav', 8 * DAY_MS);
    const aging = recordingFile('aging.wav', 6.9 * DAY_MS);
    const fresh = recordingFile('fresh.wav', DAY_MS);
    const other = recordingFile('notes.txt', 30 * DAY_MS);
    records = setupRecords(config, pino({ level: 'silent' }));
    records.start();
    await records.sweepsIdle();
    expect(existsSync(old)).toBe(false);
    expect(existsSync(aging)).toBe(true);

    await hours(3);
    expect(existsSync(aging)).toBe(false);
    expect(existsSync(fresh)).toBe(true);
    // Only recordings are the sweep's to delete.
    expect(existsSync(other)).toBe(true);
  });

  it('keeps everything when retentionDays is 0', async () => {
    const config = loadConfig({});
    config.records.dbPath = ':memory:';
    config.records.retentionDays = 0;
    records = setupRecords(config, pino({ level: 'silent' }));
    const ancient = sampleRecord({ endedAt: T0 - 4000 * DAY_MS });
    await records.store.put([ancient]);
    records.start();
    await hours(48);
    expect(await records.store.getJson(ancient.callId)).toBeDefined();
  });

  it('refuses a webhook URL without its signing secret', () => {
    const config = loadConfig({ RECORDS_WEBHOOK_URL: 'https://hooks.example.com/calls' });
    config.records.dbPath = ':memory:';
    expect(() => setupRecords(config, pino({ level: 'silent' }))).toThrow(/RECORDS_WEBHOOK_SECRET/);
  });
});
