/**
 * Running real programs (drachtio-server, sipp, baresip) from a test: finding them, free ports on
 * 127.0.0.1, and child processes that are always stopped, whatever the test did. Every child is
 * registered in one set so an afterAll can end the ones a failed test left running.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createSocket } from 'node:dgram';
import { createServer, connect } from 'node:net';
import { delimiter, join } from 'node:path';

/** The path of `name` on PATH, if there is an executable of that name. */
export function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A TCP port that was free a moment ago on 127.0.0.1 (the OS picks it, so parallel runs differ). */
export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function udpPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

/**
 * An even UDP port whose odd neighbour is free too (RTP + RTCP), between `min` and `max`. sipp
 * binds its RTP stream on the -mp port and the one after it, so both must be free.
 */
export async function freeUdpPortPair(min: number, max: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = min + 2 * Math.floor((Math.random() * (max - min)) / 2);
    if ((await udpPortFree(port)) && (await udpPortFree(port + 1))) return port;
  }
  throw new Error(`no free UDP port pair in ${min}-${max}`);
}

/** A free UDP port chosen by the OS. */
export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

/** Polls an async check every `intervalMs` until it holds; fails naming `what` after `timeoutMs`. */
export async function pollUntil(check: () => boolean | Promise<boolean>, what: string, timeoutMs: number, intervalMs = 50): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function tcpAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const running = new Set<Program>();
/** Kept output per stream: enough to explain a failure, bounded for chatty programs. */
const OUTPUT_LIMIT = 200_000;

/** A child process with its output kept for assertions and failure messages. */
export class Program {
  readonly exited: Promise<Exit>;
  #output = '';
  #exit: Exit | undefined;
  readonly #child: ChildProcess;

  constructor(readonly name: string, command: string, args: readonly string[], options: SpawnOptions = {}) {
    this.#child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    running.add(this);
    const keep = (chunk: Buffer): void => {
      if (this.#output.length < OUTPUT_LIMIT) this.#output += chunk.toString('utf8');
    };
    this.#child.stdout?.on('data', keep);
    this.#child.stderr?.on('data', keep);
    this.exited = new Promise<Exit>((resolve) => {
      // 'error' (binary missing, not executable) comes instead of 'exit'.
      this.#child.once('error', (err) => {
        this.#output += `\n[spawn error] ${err.message}`;
        this.#exit = { code: null, signal: null };
        running.delete(this);
        resolve(this.#exit);
      });
      this.#child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        running.delete(this);
        resolve(this.#exit);
      });
    });
  }

  get output(): string {
    return this.#output;
  }

  get exit(): Exit | undefined {
    return this.#exit;
  }

  /** The last lines of output, for failure messages. */
  tail(lines = 40): string {
    return `--- ${this.name} (last ${lines} lines) ---\n${this.#output.split('\n').slice(-lines).join('\n')}`;
  }

  /** Waits for the program to end by itself; fails (with its output) after `timeoutMs`. */
  async waitForExit(timeoutMs: number): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.name} still running after ${timeoutMs} ms\n${this.tail()}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGTERM, then SIGKILL if it has not ended within `graceMs`. */
  async stop(graceMs = 3_000): Promise<Exit> {
    if (this.#exit) return this.#exit;
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Stops every program still running (afterAll: a failed test may have left some behind). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((program) => program.stop()));
}
