/**
 * Which modules a Node program loads: a module-loader hook (node:module `register`) that appends
 * every URL it is asked to load to a file. Used to check that a production start of the bridge
 * never loads src/sim (or dist/sim): the test against the source and the CI smoke test against
 * the built program.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const HOOKS = `import { appendFileSync } from 'node:fs';
let out;
export function initialize(data) { out = data.out; }
export async function load(url, context, nextLoad) {
  appendFileSync(out, url + '\\n');
  return nextLoad(url, context);
}
`;

export interface ModuleTrace {
  /** Arguments for `node` (before the entry point) that install the hook. */
  nodeArgs: string[];
  /** The URLs loaded so far, in load order. */
  loaded(): string[];
  dispose(): void;
}

export function createModuleTrace(): ModuleTrace {
  const dir = mkdtempSync(join(tmpdir(), 'qpb-module-trace-'));
  const out = join(dir, 'loaded.txt');
  writeFileSync(out, '');
  writeFileSync(join(dir, 'hooks.mjs'), HOOKS);
  const register =
    `import { register } from 'node:module';\n` +
    `register(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)}, import.meta.url, { data: { out: ${JSON.stringify(out)} } });\n`;
  writeFileSync(join(dir, 'register.mjs'), register);
  return {
    nodeArgs: ['--import', pathToFileURL(join(dir, 'register.mjs')).href],
    loaded: () =>
      existsSync(out)
        ? readFileSync(out, 'utf8')
            .split('\n')
            .filter((line) => line.length > 0)
        : [],
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
