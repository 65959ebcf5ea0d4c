/**
 * A throwaway PostgreSQL server for the tests and `npm run bench:cluster`: initdb into a temp folder, postgres on a free port of
 * 127.0.0.1 with its unix socket in that folder, stopped and deleted afterwards. Uses the binaries
 * of Debian's `postgresql` package (or any on PATH). PostgreSQL refuses to run as root, so under
 * root the server runs as the `postgres` user the package creates.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { freePort } from './free-port.js';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export interface PostgresServer {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  url: string;
  port: number;
  stop(): Promise<void>;
  /** Synchronous last resort (process exit, a watchdog): signal the server; its folder stays. */
  killNow(): void;
}

/** The folder holding initdb and postgres, or undefined when none is installed. */
export function findPostgresBin(): string | undefined {
  const debianRoot = '/usr/lib/postgresql';
  if (existsSync(debianRoot)) {
    const versions = readdirSync(debianRoot)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const version of versions) {
      const bin = join(debianRoot, version, 'bin');
      if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'postgres'))) return bin;
    }
  }
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir !== '' && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'))) return dir;
  }
  return undefined;
}

function postgresUser(): { uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

export async function startPostgres(bin: string): Promise<PostgresServer> {
  const dir = mkdtempSync(join(tmpdir(), 'qpb-pg-'));
  const dataDir = join(dir, 'data');
  const runAs = postgresUser();
  if (runAs) {
    chmodSync(dir, 0o700);
    chownSync(dir, runAs.uid, runAs.gid);
  }
  const ids = runAs ? { uid: runAs.uid, gid: runAs.gid } : {};
  execFileSync(join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C'], {
    ...ids,
    cwd: dir,
    stdio: 'ignore',
  });
  const port = await freePort();
  const child: ChildProcess = spawn(
    join(bin, 'postgres'),
    // fsync off: a test database need not survive a power cut, and the shared disk is slow.
    ['-D', dataDir, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=300'],
    { ...ids, cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (log.length < 20_000) log += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // Ready once it accepts connections; pg_isready is in the same folder.
  for (;;) {
    const state = await Promise.race([
      exited.then(() => 'exited' as const),
      new Promise<'waiting'>((r) => setTimeout(() => r('waiting'), 100)),
    ]);
    if (state === 'exited') {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`postgres exited at start:\n${log}`);
    }
    try {
      execFileSync(join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-q'], { stdio: 'ignore' });
      break;
    } catch {
      // not yet
    }
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    killNow() {
      if (child.exitCode === null) child.kill('SIGINT');
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGINT'); // fast shutdown
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
