/**
 * The SIP benchmark's handle on its RTP peers child process (rtp-peers.ts): spawn it, call it,
 * and make sure it is gone afterwards. Every call has a time limit, so a stuck child fails the
 * run instead of hanging it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RtpPeersCalls, RtpPeersKind, RtpPeersMessage } from './rtp-peers-protocol.js';

const PEERS_PATH = fileURLToPath(new URL('./rtp-peers.ts', import.meta.url));
/** tsx compiles the child on start; on a busy 2-core machine that can take a few seconds. */
const START_TIMEOUT_MS = 30_000;

interface Pending {
  resolve(result: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export class RtpPeersChild {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, Pending>();
  readonly #exited: Promise<void>;
  #nextId = 1;
  #running = true;

  private constructor(child: ChildProcess) {
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.on('message', (message: RtpPeersMessage) => {
      if (!('id' in message)) return;
      const pending = this.#pending.get(message.id);
      if (pending === undefined) return;
      this.#pending.delete(message.id);
      clearTimeout(pending.timer);
      if (message.ok) pending.resolve(message.result);
      else pending.reject(new Error(`rtp peers: ${message.error}`));
    });
    child.on('exit', (code, signal) => {
      this.#running = false;
      for (const pending of this.#pending.values()) {
        clearTimeout(pending.timer);
        pending.reject(new Error(`rtp peers exited (code ${code}, signal ${signal})`));
      }
      this.#pending.clear();
    });
  }

  /** Starts the child; it exits by itself after `maxLifetimeMs` even if this process hangs. */
  static spawn(maxLifetimeMs: number): Promise<RtpPeersChild> {
    const child = fork(PEERS_PATH, ['--max-ms', String(maxLifetimeMs)], {
      execArgv: ['--import', 'tsx'],
      // Our stdout ends with the JSON line; anything the child prints goes to stderr.
      stdio: ['ignore', 2, 2, 'ipc'],
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill();
        reject(new Error(`rtp peers did not start within ${START_TIMEOUT_MS} ms`));
      }, START_TIMEOUT_MS);
      const onExit = (code: number | null): void => {
        clearTimeout(timer);
        reject(new Error(`rtp peers exited during start-up (code ${code})`));
      };
      child.once('exit', onExit);
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.once('message', (message: RtpPeersMessage) => {
        clearTimeout(timer);
        child.off('exit', onExit);
        if ('kind' in message && message.kind === 'ready') resolve(new RtpPeersChild(child));
        else {
          child.kill();
          reject(new Error('rtp peers sent something other than ready first'));
        }
      });
    });
  }

  call<K extends RtpPeersKind>(kind: K, body: RtpPeersCalls[K]['request'], timeoutMs = 10_000): Promise<RtpPeersCalls[K]['result']> {
    if (!this.#running) return Promise.reject(new Error('rtp peers are not running'));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`rtp peers did not answer ${kind} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      this.#child.send({ id, kind, body });
    });
  }

  /** Ends the child (if still there) and resolves once it has exited, so its handles are gone. */
  async kill(): Promise<void> {
    if (this.#running) this.#child.kill();
    await this.#exited;
  }
}
