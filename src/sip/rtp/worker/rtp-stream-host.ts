/**
 * Inside the RTP I/O thread: every stream is a real RtpLeg (the same class, the same tests), its
 * socket bound here and its packets sent by this thread's own send clock, so a stall of the main
 * event loop delays no packet. The host turns the main thread's messages into calls on the legs,
 * and the legs' inbound audio, digits and reports into one message per slot.
 *
 * The host is the legs' clock: it subscribes once to the thread's SharedRtpClock and, each slot,
 * first applies whatever the main thread has sent meanwhile (a barge-in's clear must beat the
 * slot's packet), then runs every leg (sends its packet), then posts what the slot gathered.
 * Sending comes before posting because it is what the far end times. A leg that throws is closed and reported `failed`, so one
 * broken stream ends its own call and never the thread or the other streams.
 *
 * Inbound audio waits for the next slot boundary (up to 20 ms, 10 ms on average) instead of being
 * posted per packet: the model hears caller audio in 100 ms appends anyway, and a message per
 * packet would cost the main thread 50 × calls messages a second.
 */
import { assertNever } from '../../../call/end-reason.js';
import type { MediaEvent } from '../../../call/media-leg.js';
import { RtpLeg } from '../rtp-leg.js';
import type { RtpClock, SharedRtpClock } from '../rtp-clock.js';
import type { BindRtpSocket } from '../udp-socket.js';
import { FrameBatchWriter, readFrameBatch } from './frame-batch.js';
import type { CountersSnapshot, FromRtpThread, OrderedCommand, StreamReport, ToRtpThread } from './rtp-thread-protocol.js';

type SlotListener = (slot: number, nowMs: number) => void;

export interface RtpStreamHostDeps {
  localAddress: string;
  idleAudio: 'silence' | 'none';
  /** The thread's send clock. */
  clock: SharedRtpClock;
  post(message: FromRtpThread, transfer: ArrayBuffer[]): void;
  bind?: BindRtpSocket;
  random32?: () => number;
  /** Counters go to the main thread every this many slots (default 10: 200 ms). */
  countersEverySlots?: number;
  /** This thread's handles by kind, for leak checks (default: process.getActiveResourcesInfo()). */
  handles?: () => Record<string, number>;
  /**
   * The next message from the main thread that has arrived but not been handled yet, if any
   * (receiveMessageOnPort). Taken at the start of every slot, so a clear that arrived while the
   * clock waited for the slot stops that slot's packet.
   */
  takeMessage?: () => ToRtpThread | undefined;
}

function threadHandles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

export class RtpStreamHost {
  readonly #deps: RtpStreamHostDeps;
  readonly #legs = new Map<number, RtpLeg>();
  /** Each leg's slot listener, by stream; a leg subscribes when it opens and leaves when it closes. */
  readonly #listeners = new Map<number, SlotListener>();
  readonly #outbox = new FrameBatchWriter<StreamReport>();
  readonly #countersEvery: number;
  #slotsSinceCounters = 0;
  #postQueued = false;
  #unsubscribe: (() => void) | undefined;

  constructor(deps: RtpStreamHostDeps) {
    this.#deps = deps;
    this.#countersEvery = deps.countersEverySlots ?? 10;
  }

  get streams(): number {
    return this.#legs.size;
  }

  handle(message: ToRtpThread): void {
    switch (message.type) {
      case 'open':
        void this.#open(message);
        return;
      case 'send':
        readFrameBatch(
          message.frames,
          message.commands,
          (stream, frame) => this.#guard(stream, (leg) => leg.sendAudio(frame)),
          (command) => this.#apply(command),
        );
        this.#postIfIdle();
        return;
      case 'inspect': {
        const timing = this.#deps.clock.timing;
        const sendClock = timing.summary();
        if (message.resetSendClock) timing.reset();
        const handles = (this.#deps.handles ?? threadHandles)();
        this.#deps.post({ type: 'inspected', request: message.request, streams: this.#legs.size, handles, sendClock }, []);
        return;
      }
    }
  }

  async #open(request: Extract<ToRtpThread, { type: 'open' }>): Promise<void> {
    const { stream, port } = request;
    let leg: RtpLeg;
    try {
      leg = await RtpLeg.open({
        localAddress: this.#deps.localAddress,
        audio: request.audio,
        // The main thread allocated the port (its count must be right the moment a call ends);
        // if this one is taken, it allocates the next and asks again.
        allocator: { allocate: () => port, release: () => undefined },
        bindAttempts: 1,
        clock: this.#legClock(stream),
        idleAudio: this.#deps.idleAudio,
        ...(this.#deps.bind ? { bind: this.#deps.bind } : {}),
        ...(this.#deps.random32 ? { random32: this.#deps.random32 } : {}),
        ...(request.inactivityTimeoutMs !== null ? { inactivityTimeoutMs: request.inactivityTimeoutMs } : {}),
        onInactivity: (silentMs) => this.#outbox.addItem({ kind: 'inactivity', stream, silentMs }),
      });
    } catch (err) {
      const code = (err as { code?: unknown } | null)?.code;
      this.#deps.post({ type: 'open_failed', stream, code: typeof code === 'string' ? code : null, message: describe(err) }, []);
      return;
    }
    this.#legs.set(stream, leg);
    leg.attach((event) => this.#collect(stream, event));
    this.#deps.post({ type: 'opened', stream }, []);
  }

  #collect(stream: number, event: MediaEvent): void {
    switch (event.type) {
      case 'audio':
        this.#outbox.addFrame(stream, event.pcm);
        return;
      case 'dtmf':
        this.#outbox.addItem({ kind: 'dtmf', stream, digit: event.digit });
        return;
      case 'mark':
      case 'hold':
      case 'hangup':
      case 'protocol_error':
      case 'media_failed':
        // An RtpLeg reports only audio and digits; anything else would be a new event it learned.
        this.#fail(stream, new Error(`unexpected event from the RTP leg: ${event.type}`));
        return;
      default:
        assertNever(event, 'media event');
    }
  }

  #apply(command: OrderedCommand): void {
    switch (command.op) {
      case 'clear':
        this.#guard(command.stream, (leg) => leg.clear());
        return;
      case 'direction':
        this.#guard(command.stream, (leg) => leg.setDirection(command.direction));
        return;
      case 'update':
        this.#guard(command.stream, (leg) => leg.update(command.audio));
        return;
      case 'close': {
        const leg = this.#legs.get(command.stream);
        this.#legs.delete(command.stream);
        leg?.close(command.reason);
        this.#outbox.addItem({ kind: 'closed', stream: command.stream, counters: leg ? { ...leg.counters } : null });
        return;
      }
    }
  }

  /** Runs `action` on the stream's leg, if it is still open; a throw ends that stream only. */
  #guard(stream: number, action: (leg: RtpLeg) => void): void {
    const leg = this.#legs.get(stream);
    if (leg === undefined) return;
    try {
      action(leg);
    } catch (err) {
      this.#fail(stream, err);
    }
  }

  #fail(stream: number, err: unknown): void {
    const leg = this.#legs.get(stream);
    if (leg === undefined) return;
    this.#legs.delete(stream);
    try {
      leg.close('failed');
    } catch {
      // Closing a broken leg may throw too; its port and listener are what matter, and the
      // listener goes below.
    }
    this.#listeners.delete(stream);
    this.#outbox.addItem({ kind: 'failed', stream, message: describe(err) });
  }

  /** The clock a leg sees: the thread's clock, with the host running its listener each slot. */
  #legClock(stream: number): RtpClock {
    const clock = this.#deps.clock;
    return {
      slotMs: clock.slotMs,
      now: () => clock.now(),
      subscribe: (onSlot) => {
        this.#listeners.set(stream, onSlot);
        this.#unsubscribe ??= clock.subscribe(this.#onSlot);
        return () => {
          if (this.#listeners.get(stream) !== onSlot) return;
          this.#listeners.delete(stream);
          // The last slot's reports (a close) still go out, below in #postIfIdle.
          if (this.#listeners.size === 0) {
            this.#unsubscribe?.();
            this.#unsubscribe = undefined;
          }
        };
      },
    };
  }

  #onSlot = (slot: number, nowMs: number): void => {
    const take = this.#deps.takeMessage;
    if (take !== undefined) for (let message = take(); message !== undefined; message = take()) this.handle(message);
    for (const [stream, listener] of this.#listeners) {
      try {
        listener(slot, nowMs);
      } catch (err) {
        this.#fail(stream, err);
      }
    }
    this.#slotsSinceCounters += 1;
    // Posted once the clock's tick is over, so the send clock's timing is of the sending alone.
    if (!this.#postQueued) {
      this.#postQueued = true;
      queueMicrotask(() => {
        this.#postQueued = false;
        this.#post(this.#slotsSinceCounters >= this.#countersEvery);
      });
    }
  };

  /** With no stream on the clock, nothing else would post what a command produced (a close's report). */
  #postIfIdle(): void {
    if (this.#unsubscribe === undefined) this.#post(false);
  }

  #post(withCounters: boolean): void {
    const counters: CountersSnapshot[] = [];
    if (withCounters) {
      this.#slotsSinceCounters = 0;
      for (const [stream, leg] of this.#legs) counters.push({ stream, counters: { ...leg.counters } });
    }
    const taken = this.#outbox.take();
    if (taken === undefined && counters.length === 0) return;
    const frames = taken?.frames ?? { pcm: new Int16Array(0), index: new Int32Array(0) };
    this.#deps.post({ type: 'slot', frames, reports: taken?.items ?? [], counters }, taken?.transfer ?? []);
  }
}
