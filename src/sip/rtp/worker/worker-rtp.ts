/**
 * RTP streams in a worker thread (`sip.rtp.sendThread: worker`, the default): one RTP I/O thread
 * per process owns the UDP sockets, the 20 ms send clock and every stream's RtpLeg; this class is
 * its main-thread side. Why: with the send clock on the main event loop, any stall there (a GC, a
 * large JSON parse, a slow tool call) delayed every stream's packets together. The call's playout
 * sends frames with a 60 ms lead, so the thread holds about three frames per stream and keeps
 * sending on its own clock through main-loop stalls shorter than that.
 *
 * - Ports are allocated here, on the main thread, so `portsInUse` is exact the moment a call ends
 *   (a port freed before the thread has closed its socket is reused only much later: the
 *   allocator is a FIFO over the whole range, and a bind that still collides tries the next port).
 * - Frames the calls send within one macrotask (their playout timers fire together) are posted
 *   as one message from setImmediate. G.711 encoding happens in the thread, inside RtpLeg: it is
 *   cheap on either side (mu-law, 0.44 µs per 20 ms frame measured here), and in the thread a
 *   codec change by re-INVITE applies in order with the frames around it.
 * - A barge-in (`clear`) and a close are posted at once, with whatever was pending before them.
 * - The thread posts one message per 20 ms slot with every stream's inbound audio and reports.
 * - If the thread dies, the error is logged and every stream it carried reports `media_failed`
 *   to its call (which ends with that reason, once); the next call starts a new thread. A thread
 *   that dies before it has answered anything never started (a missing file, a broken build):
 *   the next one waits 1 s, then 2, 4 … up to 30 s, and calls offered meanwhile are refused (503
 *   with Retry-After) without starting one, so a thread that cannot run is not restarted for
 *   every INVITE of a burst.
 */
import type { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { RtpPortAllocator } from '../port-allocator.js';
import type { RtpStream, RtpStreamRequest, RtpStreams, RtpStreamsInspection } from '../rtp-stream.js';
import { SlotTiming } from '../slot-timing.js';
import { isAddressUnavailable } from '../udp-socket.js';
import { FrameBatchWriter, readFrameBatch } from './frame-batch.js';
import type { FromRtpThread, OrderedReport, RtpThreadSettings, StreamCommand, ToRtpThread } from './rtp-thread-protocol.js';
import { spawnRtpThread, type SpawnRtpThread } from './spawn-rtp-thread.js';
import { WorkerRtpLeg, type RtpThreadLink } from './worker-rtp-leg.js';

export interface WorkerRtpOptions extends RtpThreadSettings {
  allocator: RtpPortAllocator;
  logger: Logger;
  /** Starts the thread (tests wrap it to reach the thread). */
  spawn?: SpawnRtpThread;
  /** Ports to try when another process holds the allocated one (default 8). */
  bindAttempts?: number;
  /** Monotonic milliseconds (tests: a clock they move). */
  now?: () => number;
}

const RESTART_BACKOFF_MS = { first: 1_000, max: 30_000 } as const;

/** Why a call was refused while the thread is held back after failed starts. */
export class RtpThreadUnavailableError extends Error {
  readonly retryInMs: number;
  constructor(retryInMs: number) {
    super(`the RTP thread failed to start; next attempt in ${Math.ceil(retryInMs)} ms`);
    this.name = 'RtpThreadUnavailableError';
    this.retryInMs = retryInMs;
  }
}

/** What a thread that is not running holds: nothing. */
const NO_THREAD: RtpStreamsInspection = { thread: 'worker', streams: 0, threadHandles: {}, sendClock: new SlotTiming().summary() };

interface PendingOpen {
  resolve(): void;
  reject(err: Error): void;
}

export class WorkerRtp implements RtpStreams {
  readonly thread = 'worker';
  readonly #opts: WorkerRtpOptions;
  readonly #legs = new Map<number, WorkerRtpLeg>();
  readonly #opening = new Map<number, PendingOpen>();
  readonly #inspections = new Map<number, (result: RtpStreamsInspection) => void>();
  readonly #outbox = new FrameBatchWriter<StreamCommand>();
  readonly #link: RtpThreadLink;
  #worker: Worker | undefined;
  /** The current thread has answered something: it started. */
  #answered = false;
  /** Threads in a row that died before answering; none is started before `#retryAt`. */
  #failedStarts = 0;
  #retryAt = 0;
  readonly #now: () => number;
  #flush: NodeJS.Immediate | undefined;
  #nextId = 1;
  #closing = false;

  /** Starts the thread at once, so a thread that cannot start shows in the log before the first call. */
  constructor(opts: WorkerRtpOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? (() => performance.now());
    this.#link = {
      sendFrame: (stream, frame) => {
        this.#outbox.addFrame(stream, frame);
        this.#flush ??= setImmediate(this.#post);
      },
      command: (command) => {
        this.#outbox.addItem(command);
        this.#flush ??= setImmediate(this.#post);
      },
      commandNow: (command) => {
        this.#outbox.dropFrames(command.stream);
        this.#outbox.addItem(command);
        this.#post();
      },
      release: (port) => this.#opts.allocator.release(port),
    };
    this.#worker = this.#spawn();
  }

  get portsInUse(): number {
    return this.#opts.allocator.inUse;
  }

  async open(request: RtpStreamRequest): Promise<RtpStream> {
    if (this.#closing) throw new Error('the RTP thread is shutting down');
    const attempts = this.#opts.bindAttempts ?? 8;
    let lastError: unknown;
    for (let attempt = 0; attempt < attempts; attempt++) {
      // Throws RtpPortsExhaustedError when the range is used up.
      const port = this.#opts.allocator.allocate();
      const stream = this.#nextId++;
      try {
        await this.#bind(stream, port, request);
      } catch (err) {
        this.#opts.allocator.release(port);
        if (!isAddressUnavailable(err)) throw err;
        lastError = err;
        continue;
      }
      const leg = new WorkerRtpLeg(stream, port, this.#link, request);
      this.#legs.set(stream, leg);
      this.#updateRef();
      return leg;
    }
    throw lastError;
  }

  inspect(options: { resetSendClock?: boolean } = {}): Promise<RtpStreamsInspection> {
    const worker = this.#worker;
    if (worker === undefined) return Promise.resolve(NO_THREAD);
    const request = this.#nextId++;
    return new Promise((resolve) => {
      this.#inspections.set(request, resolve);
      this.#updateRef();
      this.#send(worker, { type: 'inspect', request, resetSendClock: options.resetSendClock ?? false });
    });
  }

  async close(): Promise<void> {
    this.#closing = true;
    for (const leg of this.#legs.values()) leg.close('shutdown');
    this.#post();
    const worker = this.#worker;
    this.#worker = undefined;
    this.#abandon(new Error('the RTP thread was shut down'));
    if (worker) await worker.terminate();
  }

  #bind(stream: number, port: number, request: RtpStreamRequest): Promise<void> {
    if (this.#worker === undefined) {
      const waitMs = this.#retryAt - this.#now();
      if (waitMs > 0) return Promise.reject(new RtpThreadUnavailableError(waitMs));
      this.#worker = this.#spawn();
    }
    const worker = this.#worker;
    return new Promise((resolve, reject) => {
      this.#opening.set(stream, { resolve, reject });
      this.#updateRef();
      this.#send(worker, { type: 'open', stream, port, audio: request.audio, inactivityTimeoutMs: request.inactivityTimeoutMs ?? null });
    });
  }

  #spawn(): Worker {
    this.#answered = false;
    const worker = (this.#opts.spawn ?? spawnRtpThread)({ localAddress: this.#opts.localAddress, idleAudio: this.#opts.idleAudio });
    worker.on('message', (message: FromRtpThread) => {
      if (worker !== this.#worker) return;
      this.#answered = true;
      this.#failedStarts = 0;
      this.#receive(message);
    });
    // An uncaught exception in the thread: 'exit' follows, and ends its calls.
    worker.on('error', (err) => this.#opts.logger.error({ err }, 'RTP thread failed'));
    worker.on('exit', (code) => this.#onExit(worker, code));
    worker.unref();
    return worker;
  }

  #onExit(worker: Worker, code: number): void {
    if (worker !== this.#worker) return;
    this.#worker = undefined;
    if (!this.#answered) this.#failedStarts += 1;
    const backoffMs =
      this.#failedStarts === 0 ? 0 : Math.min(RESTART_BACKOFF_MS.max, RESTART_BACKOFF_MS.first * 2 ** (this.#failedStarts - 1));
    this.#retryAt = this.#now() + backoffMs;
    this.#opts.logger.error(
      { exitCode: code, calls: this.#legs.size, started: this.#answered, nextStartInMs: backoffMs },
      'RTP thread exited; ending the calls it carried',
    );
    this.#abandon(new Error(`the RTP thread exited (code ${code})`));
  }

  /** The thread is gone: every stream it carried has failed, and nothing pending will be answered. */
  #abandon(reason: Error): void {
    clearImmediate(this.#flush);
    this.#flush = undefined;
    this.#outbox.take();
    const legs = [...this.#legs.values()];
    this.#legs.clear();
    for (const leg of legs) leg.fail(reason.message);
    const opening = [...this.#opening.values()];
    this.#opening.clear();
    for (const pending of opening) pending.reject(reason);
    for (const resolve of this.#inspections.values()) resolve(NO_THREAD);
    this.#inspections.clear();
  }

  /** Posts everything pending as one message. */
  #post = (): void => {
    clearImmediate(this.#flush);
    this.#flush = undefined;
    const taken = this.#outbox.take();
    if (taken === undefined || this.#worker === undefined) return;
    this.#send(this.#worker, { type: 'send', frames: taken.frames, commands: taken.items }, taken.transfer);
  };

  #send(worker: Worker, message: ToRtpThread, transfer: ArrayBuffer[] = []): void {
    worker.postMessage(message, transfer);
  }

  #receive(message: FromRtpThread): void {
    switch (message.type) {
      case 'opened': {
        const pending = this.#opening.get(message.stream);
        this.#opening.delete(message.stream);
        pending?.resolve();
        return;
      }
      case 'open_failed': {
        const pending = this.#opening.get(message.stream);
        this.#opening.delete(message.stream);
        this.#updateRef();
        pending?.reject(Object.assign(new Error(message.message), message.code === null ? {} : { code: message.code }));
        return;
      }
      case 'slot':
        readFrameBatch(
          message.frames,
          message.reports,
          (stream, pcm) => this.#legs.get(stream)?.deliver({ type: 'audio', pcm }),
          (report) => this.#report(report),
        );
        for (const { stream, counters } of message.counters) this.#legs.get(stream)?.setCounters(counters);
        return;
      case 'inspected': {
        const resolve = this.#inspections.get(message.request);
        this.#inspections.delete(message.request);
        this.#updateRef();
        resolve?.({ thread: 'worker', streams: message.streams, threadHandles: message.handles, sendClock: message.sendClock });
        return;
      }
    }
  }

  #report(report: OrderedReport): void {
    const leg = this.#legs.get(report.stream);
    if (leg === undefined) return;
    switch (report.kind) {
      case 'dtmf':
        leg.deliver({ type: 'dtmf', digit: report.digit });
        return;
      case 'inactivity':
        leg.inactivity(report.silentMs);
        return;
      case 'failed':
        this.#opts.logger.error({ detail: report.message, rtpPort: leg.localPort }, 'RTP stream failed in the RTP thread; ending its call');
        this.#forget(report.stream);
        leg.fail(`RTP stream failed: ${report.message}`);
        return;
      case 'closed':
        if (report.counters !== null) leg.setCounters(report.counters);
        this.#forget(report.stream);
        return;
    }
  }

  #forget(stream: number): void {
    this.#legs.delete(stream);
    this.#updateRef();
  }

  /** The thread keeps the process alive only while it has work (calls, answers due), like the sockets it replaces. */
  #updateRef(): void {
    const worker = this.#worker;
    if (worker === undefined) return;
    if (this.#legs.size + this.#opening.size + this.#inspections.size > 0) worker.ref();
    else worker.unref();
  }
}
