/**
 * The real process (`npm start -- --simulate`) under SIGTERM with a call in progress: a second
 * SIGTERM cuts the drain short, and the call it ends still leaves its record.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { PacedCaller } from '../../src/bench/flood-streams.js';

let child: ChildProcess | undefined;
let dir: string | undefined;
afterEach(() => {
  if (child?.exitCode === null) child.kill('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
  child = undefined;
  dir = undefined;
});

/** Resolves with the first JSON log line whose msg matches. */
function logLine(lines: Array<Record<string, unknown>>, proc: ChildProcess, msg: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const found = lines.find((l) => l.msg === msg);
      if (found) resolve(found);
      return found !== undefined;
    };
    if (check()) return;
    const onData = (): void => {
      if (check()) proc.stdout?.off('data', onData);
    };
    proc.stdout?.on('data', onData);
    proc.once('exit', () => reject(new Error(`exited before logging "${msg}"`)));
  });
}

describe('shutdown by signal', () => {
  it('a second SIGTERM ends the calls at once and still writes their records', async () => {
    dir = mkdtempSync(join(tmpdir(), 'qpb-signals-'));
    const dbPath = join(dir, 'calls.sqlite');
    const token = 'signals-test-token-0123456789';
    child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', '--simulate'], {
      env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', BRIDGE_MEDIA_TOKEN: token, RECORDS_DB_PATH: dbPath, BRIDGE_CONFIG: '' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines: Array<Record<string, unknown>> = [];
    let partial = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      const text = partial + chunk.toString();
      const parts = text.split('\n');
      partial = parts.pop() ?? '';
      for (const part of parts) {
        try {
          lines.push(JSON.parse(part) as Record<string, unknown>);
        } catch {
          // Not a log line (the simulator's banner).
        }
      }
    });
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    const listening = await logLine(lines, child, 'bridge listening');
    const caller = await PacedCaller.connect(`ws://127.0.0.1:${String(listening.port)}/media/twilio?token=${token}`, 'MZsignals');
    await logLine(lines, child, 'call active');

    child.kill('SIGTERM');
    await logLine(lines, child, 'draining');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const close = await caller.closed;
    expect(close.code).toBe(1000);
    expect(close.reason).toBe('shutdown');

    const db = new Database(dbPath, { readonly: true });
    try {
      const rows = db.prepare('SELECT external_id, end_reason FROM calls').all();
      expect(rows).toEqual([{ external_id: 'CAsignals', end_reason: 'shutdown' }]);
    } finally {
      db.close();
    }
  }, 60_000);
});
