/**
 * The benchmarks' handle on a helper child process (load-driver.ts, rtp-peers.ts): spawn it, wait
 * for its 'ready' message, call it, and make sure it is gone afterwards. Every call has a time
 * limit, so a stuck child fails the run instead of hanging it.
 *
 * The protocol is plain JSON over the Node IPC channel: the child's first message is its ready
 * message (`{ kind: 'ready', … }`, whatever else it carries is kept as `ready`); after that the
 * parent sends `RpcRequest`s and the child answers each with an `RpcReply` carrying the same id.
 */
import { fork, type ChildProcess } from 'node:child_process';

/** What each request kind takes and returns (a protocol's `…Calls` interface satisfies `CallMap<itself>`). */
export type CallMap<Calls> = { [K in keyof Calls]: { request: unknown; result: unknown } };

export type RpcRequest<Calls extends CallMap<Calls>> = {
  [K in keyof Calls & string]: { id: number; kind: K; body: Calls[K]['request'] };
}[keyof Calls & string];

export type RpcReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

/** tsx compiles the child on start; on a busy 2-core machine that can take a few seconds. */
const START_TIMEOUT_MS = 30_000;
const DEFAULT_CALL_TIMEOUT_MS = 10_000;

export interface ChildRpcOptions {
  /** The child's entry point (a .ts file, run through tsx). */
  path: string;
  /** Names the child in error messages, e.g. "load driver did not answer open within 5000 ms". */
  label: string;
  /** Passed to the child as --max-ms: it exits by itself after this even if this process hangs. */
  maxLifetimeMs: number;
  /** For calls made without a time limit of their own. */
  defaultCallTimeoutMs?: number;
}

interface Pending {
  resolve(result: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export class ChildRpc<Calls extends CallMap<Calls>, Ready extends { kind: 'ready' } = { kind: 'ready' }> {
  /** The child's first message. */
  readonly ready: Ready;
  readonly #child: ChildProcess;
  readonly #label: string;
  readonly #defaultCallTimeoutMs: number;
  readonly #pending = new Map<number, Pending>();
  readonly #exited: Promise<void>;
  #nextId = 1;
  #running = true;

  private constructor(child: ChildProcess, ready: Ready, opts: ChildRpcOptions) {
    this.#child = child;
    this.ready = ready;
    this.#label = opts.label;
    this.#defaultCallTimeoutMs = opts.defaultCallTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.on('message', (message: Ready | RpcReply) => {
      if (!('id' in message)) return;
      const pending = this.#pending.get(message.id);
      if (pending === undefined) return;
      this.#pending.delete(message.id);
      clearTimeout(pending.timer);
      if (message.ok) pending.resolve(message.result);
      else pending.reject(new Error(`${this.#label}: ${message.error}`));
    });
    child.on('exit', (code, signal) => {
      this.#running = false;
      for (const pending of this.#pending.values()) {
        clearTimeout(pending.timer);
        pending.reject(new Error(`${this.#label} exited (code ${code}, signal ${signal})`));
      }
      this.#pending.clear();
    });
  }

  /** Starts the child and resolves once it has sent its ready message. */
  static spawn<Calls extends CallMap<Calls>, Ready extends { kind: 'ready' } = { kind: 'ready' }>(
    opts: ChildRpcOptions,
  ): Promise<ChildRpc<Calls, Ready>> {
    const { label } = opts;
    const child = fork(opts.path, ['--max-ms', String(opts.maxLifetimeMs)], {
      execArgv: ['--import', 'tsx'],
      // Our stdout ends with the JSON line; anything the child prints goes to stderr.
      stdio: ['ignore', 2, 2, 'ipc'],
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill();
        reject(new Error(`${label} did not start within ${START_TIMEOUT_MS} ms`));
      }, START_TIMEOUT_MS);
      const onExit = (code: number | null): void => {
        clearTimeout(timer);
        reject(new Error(`${label} exited during start-up (code ${code})`));
      };
      child.once('exit', onExit);
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.once('message', (message: Ready | RpcReply) => {
        clearTimeout(timer);
        child.off('exit', onExit);
        if ('kind' in message && message.kind === 'ready') resolve(new ChildRpc<Calls, Ready>(child, message, opts));
        else {
          child.kill();
          reject(new Error(`${label} sent something other than ready first`));
        }
      });
    });
  }

  call<K extends keyof Calls & string>(
    kind: K,
    body: Calls[K]['request'],
    timeoutMs = this.#defaultCallTimeoutMs,
  ): Promise<Calls[K]['result']> {
    if (!this.#running) return Promise.reject(new Error(`${this.#label} not running (it exited)`));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${this.#label} did not answer ${kind} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      try {
        this.#child.send({ id, kind, body });
      } catch (err) {
        clearTimeout(timer);
        this.#pending.delete(id);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  /** Ends the child (if still there) and resolves once it has exited, so its handles are gone. */
  async kill(): Promise<void> {
    if (this.#running) this.#child.kill();
    await this.#exited;
  }
}
