/**
 * The benchmark's handle on the load driver child process: spawn it, call it, and make sure it
 * is gone afterwards. Every call has a time limit, so a stuck child fails the run instead of
 * hanging it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { DriverCallKind, DriverCalls, DriverMessage, DriverRequest } from './load-protocol.js';

const DRIVER_PATH = fileURLToPath(new URL('./load-driver.ts', import.meta.url));
/** tsx compiles the driver on start; on a busy 2-core machine that can take a few seconds. */
const START_TIMEOUT_MS = 30_000;

interface Pending {
  resolve(result: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export class LoadChild {
  readonly modelUrl: string;
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #exited = false;

  private constructor(child: ChildProcess, modelUrl: string) {
    this.#child = child;
    this.modelUrl = modelUrl;
    child.on('message', (message: DriverMessage) => {
      if (!('id' in message)) return;
      const pending = this.#pending.get(message.id);
      if (pending === undefined) return;
      this.#pending.delete(message.id);
      clearTimeout(pending.timer);
      if (message.ok) pending.resolve(message.result);
      else pending.reject(new Error(`load driver: ${message.error}`));
    });
    child.on('exit', (code, signal) => {
      this.#exited = true;
      for (const pending of this.#pending.values()) {
        clearTimeout(pending.timer);
        pending.reject(new Error(`load driver exited (code ${code}, signal ${signal})`));
      }
      this.#pending.clear();
    });
  }

  /** Starts the driver; it exits by itself after `maxLifetimeMs` even if this process hangs. */
  static spawn(maxLifetimeMs: number): Promise<LoadChild> {
    const child = fork(DRIVER_PATH, ['--max-ms', String(maxLifetimeMs)], {
      execArgv: ['--import', 'tsx'],
      // The driver's stdout goes to our stderr: our stdout ends with the JSON line.
      stdio: ['ignore', 2, 2, 'ipc'],
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill();
        reject(new Error(`load driver did not start within ${START_TIMEOUT_MS} ms`));
      }, START_TIMEOUT_MS);
      const onExit = (code: number | null): void => {
        clearTimeout(timer);
        reject(new Error(`load driver exited during start-up (code ${code})`));
      };
      child.once('exit', onExit);
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.once('message', (message: DriverMessage) => {
        clearTimeout(timer);
        child.off('exit', onExit);
        if ('kind' in message && message.kind === 'ready') resolve(new LoadChild(child, message.modelUrl));
        else {
          child.kill();
          reject(new Error('load driver sent something other than ready first'));
        }
      });
    });
  }

  call<K extends DriverCallKind>(kind: K, body: DriverCalls[K]['request'], timeoutMs: number): Promise<DriverCalls[K]['result']> {
    if (this.#exited) return Promise.reject(new Error('load driver is not running'));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`load driver did not answer ${kind} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      try {
        const request = { id, kind, body } as DriverRequest;
        this.#child.send(request);
      } catch (err) {
        clearTimeout(timer);
        this.#pending.delete(id);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  /** Ends the child now, if it is still there. */
  kill(): void {
    if (!this.#exited) this.#child.kill();
  }
}
