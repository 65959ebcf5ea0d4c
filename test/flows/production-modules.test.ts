/**
 * A production start (`main.ts` without --simulate) loads none of src/sim: the process runs with a
 * module-loader hook that lists every module it loads. With --simulate the same list does hold
 * the simulator, which shows the hook sees what it claims to.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { createModuleTrace, type ModuleTrace } from '../../src/sim/module-trace.js';

let child: ChildProcess | undefined;
let trace: ModuleTrace | undefined;
afterEach(() => {
  if (child?.exitCode === null) child.kill('SIGKILL');
  trace?.dispose();
  child = undefined;
  trace = undefined;
});

/** Starts src/main.ts, waits for "bridge listening", stops it with SIGTERM; the modules it loaded. */
async function modulesLoadedBy(args: string[], env: Record<string, string>): Promise<string[]> {
  trace = createModuleTrace();
  const proc = spawn(process.execPath, [...trace.nodeArgs, '--import', 'tsx', 'src/main.ts', ...args], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', RECORDS_DB_PATH: ':memory:', BRIDGE_CONFIG: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = proc;
  let output = '';
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('"msg":"bridge listening"')) resolve();
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    void exited.then((code) => reject(new Error(`exited (${String(code)}) before listening:\n${output}`)));
  });
  proc.kill('SIGTERM');
  expect(await exited).toBe(0);
  return trace.loaded();
}

const simModules = (urls: string[]): string[] => urls.filter((url) => url.includes('/src/sim/'));

describe('modules a start loads', () => {
  it('without --simulate: the bridge, and nothing of src/sim', async () => {
    const loaded = await modulesLoadedBy([], {
      DASHSCOPE_API_KEY: 'sk-production-modules-test',
      BRIDGE_MEDIA_TOKEN: 'production-modules-token-0123',
      // Nothing listens there: the start-up model check fails fast and the bridge runs on.
      QWEN_URL: 'ws://127.0.0.1:9/api-ws/v1/realtime',
    });
    expect(loaded.some((url) => url.endsWith('/src/app.ts'))).toBe(true);
    expect(loaded.some((url) => url.endsWith('/src/call/call.ts'))).toBe(true);
    expect(simModules(loaded)).toEqual([]);
  });

  it('with --simulate: the simulator is loaded (the hook sees it)', async () => {
    const loaded = await modulesLoadedBy(['--simulate'], { BRIDGE_MEDIA_TOKEN: 'production-modules-token-0123' });
    expect(simModules(loaded)).toContainEqual(expect.stringMatching(/\/src\/sim\/qwen\/server\.ts$/));
  });
});
