/**
 * RTP streams on the main event loop (`sip.rtp.sendThread: main`): each stream an RtpLeg, all
 * sent by one SharedRtpClock on this thread. Any stall of the main loop (a GC, a large JSON
 * parse, a slow tool call) delays every stream's packets; the worker thread exists for that. This
 * is the fallback an operator can choose, and what the benchmark compares against.
 */
import type { RtpPortAllocator } from './port-allocator.js';
import { SharedRtpClock } from './rtp-clock.js';
import { RtpLeg } from './rtp-leg.js';
import type { RtpStream, RtpStreamRequest, RtpStreams, RtpStreamsInspection } from './rtp-stream.js';

export interface MainThreadRtpOptions {
  localAddress: string;
  idleAudio: 'silence' | 'none';
  allocator: RtpPortAllocator;
}

export class MainThreadRtp implements RtpStreams {
  readonly thread = 'main';
  readonly #opts: MainThreadRtpOptions;
  readonly #clock = new SharedRtpClock();
  readonly #legs = new Set<RtpLeg>();

  constructor(opts: MainThreadRtpOptions) {
    this.#opts = opts;
  }

  get portsInUse(): number {
    return this.#opts.allocator.inUse;
  }

  async open(request: RtpStreamRequest): Promise<RtpStream> {
    const leg = await RtpLeg.open({
      localAddress: this.#opts.localAddress,
      audio: request.audio,
      allocator: this.#opts.allocator,
      clock: this.#clock,
      idleAudio: this.#opts.idleAudio,
      ...(request.inactivityTimeoutMs !== undefined ? { inactivityTimeoutMs: request.inactivityTimeoutMs } : {}),
      ...(request.onInactivity ? { onInactivity: (silentMs: number) => request.onInactivity?.(silentMs) } : {}),
      ...(request.onError ? { onError: (err: unknown) => request.onError?.(err) } : {}),
    });
    // Kept for shutdown; closed legs are dropped here, so the set stays near the calls in progress.
    if (this.#legs.size >= 2 * this.portsInUse + 64) this.#prune();
    this.#legs.add(leg);
    return leg;
  }

  inspect(options: { resetSendClock?: boolean } = {}): Promise<RtpStreamsInspection> {
    this.#prune();
    const sendClock = this.#clock.timing.summary();
    if (options.resetSendClock) this.#clock.timing.reset();
    return Promise.resolve({ thread: 'main', streams: this.#legs.size, sendClock });
  }

  close(): Promise<void> {
    for (const leg of this.#legs) leg.close('shutdown');
    this.#legs.clear();
    return Promise.resolve();
  }

  #prune(): void {
    for (const leg of this.#legs) if (leg.closed) this.#legs.delete(leg);
  }
}
