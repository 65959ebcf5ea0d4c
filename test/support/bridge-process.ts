/**
 * A whole bridge as a separate process (`main.ts --simulate`), for the cluster tests: separate
 * processes share nothing but the database, and one can be killed outright.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { SimulatedCaller, type SimulatedCallerOptions } from '../../src/sim/caller/index.js';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
export const ADMIN_TOKEN = 'cluster-admin-token';

export interface BridgeProcess {
  instanceId: string;
  port: number;
  child: ChildProcess;
  /** JSON log lines written so far. */
  lines: Array<Record<string, unknown>>;
  api(path: string, method?: string): Promise<{ status: number; body: unknown }>;
  caller(opts?: Partial<SimulatedCallerOptions>): Promise<SimulatedCaller>;
  /** SIGTERM, then wait for the exit. */
  stop(): Promise<number | null>;
  exited: Promise<number | null>;
}

export async function startBridgeProcess(instanceId: string, env: Record<string, string>, args: string[] = []): Promise<BridgeProcess> {
  const mediaToken = randomBytes(8).toString('hex');
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--simulate', ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
      BRIDGE_MEDIA_TOKEN: mediaToken,
      BRIDGE_ADMIN_TOKEN: ADMIN_TOKEN,
      ...(instanceId !== '' ? { BRIDGE_INSTANCE_ID: instanceId } : {}),
      RECORDS_STORE: 'postgres',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const lines: Array<Record<string, unknown>> = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const port = await new Promise<number>((resolve, reject) => {
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        let parsed: Record<string, unknown>;
        try {
          parsed = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue;
        }
        lines.push(parsed);
        if (parsed.msg === 'bridge listening' && typeof parsed.port === 'number') resolve(parsed.port);
      }
    });
    void exited.then((code) => reject(new Error(`bridge ${instanceId} exited (${code}) before listening:\n${stderr}`)));
  });
  const base = `http://127.0.0.1:${port}`;
  return {
    instanceId,
    port,
    child,
    lines,
    exited,
    async api(path, method = 'GET') {
      const res = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      const text = await res.text();
      return { status: res.status, body: text.length > 0 ? (JSON.parse(text) as unknown) : undefined };
    },
    caller: (opts = {}) =>
      SimulatedCaller.connect({
        url: `ws://127.0.0.1:${port}/media/twilio?token=${mediaToken}`,
        to: '+15550100',
        maxCallMs: 60_000,
        ...opts,
      }),
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
