/**
 * A simulated phone caller that connects to the bridge the way a carrier does: it opens the
 * media WebSocket, announces the call, and from then on sends a 20 ms frame every 20 ms — speech
 * from the fixtures when the script says so, silence otherwise, like a real phone line.
 *
 * What the bridge sends back is played through a PlayoutTimeline at real time, so the report
 * says what the caller actually heard, when, and what a barge-in cut off. Marks are echoed when
 * playout reaches them (or at once when a clear drops them), as Twilio and jambonz do.
 *
 * Bounded: every wait has a timeout, the call has a maximum length, and the caller hangs up
 * when its script ends. Nothing keeps running after run() resolves.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { writeWav } from '../../audio/wav.js';
import { describeStep, type CallerStep, type Utterance } from './caller-script.js';
import { audioForkCallerWire, twilioCallerWire, type CallerWire } from './caller-wire.js';
import type { CallerEndedBy, CallerReport, StepRecord } from './caller-report.js';
import { loadCallerFixture } from './fixtures.js';
import { PlayoutTimeline } from './playout-timeline.js';

const FRAME_MS = 20;
const WIRE_RATE_HZ = 8000;

export interface SimulatedCallerOptions {
  /** Full stream URL, e.g. ws://127.0.0.1:8080/media/twilio?token=… */
  url: string;
  headers?: Record<string, string>;
  dialect?: 'twilio' | 'audio_fork';
  /** The dialed number (selects the agent). */
  to: string;
  from?: string;
  callSid?: string;
  customParameters?: Record<string, string>;
  /** The caller hangs up by itself after this long. Default 120 000. */
  maxCallMs?: number;
  /** Default timeout of wait steps. Default 15 000. */
  stepTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Socket factory (tests, proxies). */
  createSocket?: (url: string, protocols: string[], headers: Record<string, string>) => WebSocket;
}

class CallEnded extends Error {
  constructor() {
    super('the call ended');
  }
}

class StepTimedOut extends Error {}

interface Waiter {
  ready(): boolean;
  resolve(): void;
  reject(err: Error): void;
}

export class SimulatedCaller {
  readonly #socket: WebSocket;
  readonly #wire: CallerWire;
  readonly #opts: SimulatedCallerOptions;
  readonly #timeline: PlayoutTimeline;
  readonly #samplesPerFrame: number;
  readonly #startedAt: number;
  readonly #closed: Promise<void>;
  #tickTimer: NodeJS.Timeout | undefined;
  #maxTimer: NodeJS.Timeout | undefined;
  #framesSent = 0;
  #speech: { pcm: Int16Array; offset: number; done(): void } | undefined;
  #speechSamplesSent = 0;
  #waiters = new Set<Waiter>();
  #ended: CallerEndedBy | undefined;
  #endedAtMs: number | undefined;
  #close: { code: number; reason: string } | undefined;
  #marksEchoed = 0;
  #bargeIns: { atMs: number; utterance: string }[] = [];
  #steps: StepRecord[] = [];
  #invalid: string[] = [];

  /** Connects and starts the stream: from here on the caller sends a frame every 20 ms. */
  static async connect(opts: SimulatedCallerOptions): Promise<SimulatedCaller> {
    const identity = {
      callSid: opts.callSid ?? `CA${randomBytes(16).toString('hex')}`,
      to: opts.to,
      from: opts.from ?? '+15550100000',
      ...(opts.customParameters !== undefined && { customParameters: opts.customParameters }),
    };
    const wire =
      (opts.dialect ?? 'twilio') === 'twilio'
        ? twilioCallerWire(identity, `MZ${randomBytes(16).toString('hex')}`)
        : audioForkCallerWire(identity, WIRE_RATE_HZ);
    const create = opts.createSocket ?? ((url, protocols, headers) => new WebSocket(url, protocols, { headers }));
    const socket = create(opts.url, wire.protocols, opts.headers ?? {});
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.terminate();
        reject(new Error('simulated caller: connect timed out'));
      }, opts.connectTimeoutMs ?? 5_000);
      socket.once('open', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('unexpected-response', (_req, res) => {
        clearTimeout(timer);
        socket.terminate();
        reject(new Error(`simulated caller: upgrade refused with HTTP ${res.statusCode ?? '?'}`));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    return new SimulatedCaller(socket, wire, opts);
  }

  private constructor(socket: WebSocket, wire: CallerWire, opts: SimulatedCallerOptions) {
    this.#socket = socket;
    this.#wire = wire;
    this.#opts = opts;
    this.#timeline = new PlayoutTimeline(wire.sampleRateHz);
    this.#samplesPerFrame = (wire.sampleRateHz * FRAME_MS) / 1000;

    socket.on('error', () => undefined); // reported through 'close'
    socket.on('message', (data: Buffer, isBinary: boolean) => this.#onMessage(data, isBinary));
    this.#closed = new Promise((resolve) =>
      socket.once('close', (code: number, reason: Buffer) => {
        this.#close = { code, reason: reason.toString() };
        this.#end('bridge');
        resolve();
      }),
    );

    for (const frame of wire.opening()) socket.send(frame);
    this.#startedAt = performance.now();
    this.#tick();
    this.#maxTimer = setTimeout(() => this.#hangUp('max_duration'), opts.maxCallMs ?? 120_000);
  }

  /** Call time in milliseconds since the stream started. */
  nowMs(): number {
    return performance.now() - this.#startedAt;
  }

  /** Run the script, then hang up (unless the bridge or a timeout ended the call first). */
  async run(steps: CallerStep[]): Promise<CallerReport> {
    for (const step of steps) {
      if (this.#ended !== undefined) break;
      const startedMs = this.nowMs();
      try {
        await this.#runStep(step);
        this.#steps.push({ step: describeStep(step), startedMs, endedMs: this.nowMs(), ok: true });
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        this.#steps.push({ step: describeStep(step), startedMs, endedMs: this.nowMs(), ok: false, error });
        if (err instanceof StepTimedOut) this.#hangUp('step_timeout');
        else if (!(err instanceof CallEnded)) this.#hangUp('caller');
        break;
      }
    }
    this.#hangUp('caller');
    await this.#closed;
    return this.report();
  }

  /** Hang up now (idempotent). */
  async hangup(): Promise<CallerReport> {
    this.#hangUp('caller');
    await this.#closed;
    return this.report();
  }

  /** Agent audio as the caller heard it, at call time, 8 kHz. */
  heardPcm(): Int16Array {
    return this.#timeline.heardPcm();
  }

  async writeHeardWav(path: string | URL): Promise<void> {
    await writeFile(path, writeWav(this.#wire.sampleRateHz, [this.heardPcm()]));
  }

  report(): CallerReport {
    const stats = this.#timeline.stats();
    return {
      dialect: this.#wire.dialect,
      endedBy: this.#ended ?? 'caller',
      ...(this.#close !== undefined && this.#ended === 'bridge' && { closeCode: this.#close.code, closeReason: this.#close.reason }),
      durationMs: this.#endedAtMs ?? this.nowMs(),
      ...(stats.firstAudibleHeardMs !== undefined && { firstAgentAudioHeardMs: stats.firstAudibleHeardMs }),
      ...(stats.lastAudibleHeardEndMs !== undefined && { lastAgentAudioHeardMs: stats.lastAudibleHeardEndMs }),
      clearsReceivedMs: stats.clearsAtMs,
      marksEchoed: this.#marksEchoed,
      agentAudio: { receivedMs: stats.receivedMs, heardMs: stats.heardMs, clearedMs: stats.clearedMs },
      callerSpeechSentMs: (this.#speechSamplesSent * 1000) / this.#wire.sampleRateHz,
      framesSent: this.#framesSent,
      bargeIns: [...this.#bargeIns],
      steps: [...this.#steps],
      invalidFromBridge: [...this.#invalid],
    };
  }

  async #runStep(step: CallerStep): Promise<void> {
    const label = describeStep(step);
    const timeoutMs = (own?: number) => own ?? this.#opts.stepTimeoutMs ?? 15_000;
    switch (step.kind) {
      case 'say':
        return this.#speak(await this.#utterancePcm(step.utterance));
      case 'silence': {
        const until = this.nowMs() + step.ms;
        return this.#waitUntil(label, () => this.nowMs() >= until, step.ms + 1_000);
      }
      case 'waitForAgentAudio': {
        const since = this.nowMs();
        return this.#waitUntil(label, () => this.#agentHeardSince(since), timeoutMs(step.timeoutMs));
      }
      case 'waitForAgentSilence': {
        const since = this.nowMs();
        return this.#waitUntil(
          label,
          () => {
            const lastHeard = Math.max(since, this.#timeline.stats().lastAudibleHeardEndMs ?? 0);
            return this.#timeline.idle && this.nowMs() - lastHeard >= step.ms;
          },
          timeoutMs(step.timeoutMs) + step.ms,
        );
      }
      case 'bargeIn': {
        const pcm = await this.#utterancePcm(step.utterance);
        const since = this.nowMs();
        await this.#waitUntil(label, () => this.#agentHeardSince(since), timeoutMs(step.timeoutMs));
        const speakAt = this.nowMs() + step.afterAgentSpeaksMs;
        await this.#waitUntil(label, () => this.nowMs() >= speakAt, step.afterAgentSpeaksMs + 1_000);
        this.#bargeIns.push({
          atMs: this.nowMs(),
          utterance: typeof step.utterance === 'string' ? step.utterance : `${step.utterance.length} samples`,
        });
        return this.#speak(pcm);
      }
      case 'dtmf':
        this.#send(this.#wire.dtmf(step.digit));
        return;
      case 'hangup':
        this.#hangUp('caller');
        return;
    }
  }

  async #utterancePcm(utterance: Utterance): Promise<Int16Array> {
    return typeof utterance === 'string' ? loadCallerFixture(utterance) : utterance;
  }

  #agentHeardSince(sinceMs: number): boolean {
    const last = this.#timeline.stats().lastAudibleHeardEndMs;
    return last !== undefined && last > sinceMs;
  }

  #speak(pcm: Int16Array): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { ready: () => false, resolve, reject };
      this.#waiters.add(waiter);
      this.#speech = {
        pcm,
        offset: 0,
        done: () => {
          this.#waiters.delete(waiter);
          resolve();
        },
      };
    });
  }

  #waitUntil(label: string, ready: () => boolean, timeoutMs: number): Promise<void> {
    if (this.#ended !== undefined) return Promise.reject(new CallEnded());
    if (ready()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new StepTimedOut(`${label} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = {
        ready,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      this.#waiters.add(waiter);
    });
  }

  /** Sends every frame that is due (catching up after a late timer, as a real line would). */
  #tick = (): void => {
    if (this.#ended !== undefined) return;
    const now = this.nowMs();
    const due = Math.floor(now / FRAME_MS) + 1;
    while (this.#framesSent < due) this.#sendFrame();
    this.#echo(this.#timeline.advanceTo(now), false);
    this.#checkWaiters();
    this.#tickTimer = setTimeout(this.#tick, Math.max(0, this.#framesSent * FRAME_MS - this.nowMs()));
  };

  #sendFrame(): void {
    let frame = new Int16Array(this.#samplesPerFrame);
    const speech = this.#speech;
    if (speech !== undefined) {
      const chunk = speech.pcm.subarray(speech.offset, speech.offset + this.#samplesPerFrame);
      if (chunk.length === this.#samplesPerFrame) frame = chunk.slice();
      else frame.set(chunk);
      speech.offset += chunk.length;
      this.#speechSamplesSent += chunk.length;
      if (speech.offset >= speech.pcm.length) {
        this.#speech = undefined;
        speech.done();
      }
    }
    this.#send(this.#wire.audio(frame, this.#framesSent * FRAME_MS));
    this.#framesSent += 1;
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    if (this.#ended !== undefined) return;
    const now = this.nowMs();
    const command = this.#wire.parse(data, isBinary);
    switch (command.type) {
      case 'audio':
        this.#echo(this.#timeline.receiveAudio(command.pcm, now), false);
        break;
      case 'mark':
        this.#echo(this.#timeline.receiveMark(command.name, now), false);
        break;
      case 'clear': {
        // Marks reached before the clear played; the rest were dropped with the audio.
        const played = this.#timeline.advanceTo(now);
        this.#echo(played, false);
        this.#echo(this.#timeline.clear(now), true);
        break;
      }
      case 'invalid':
        if (this.#invalid.length < 100) this.#invalid.push(command.detail);
        break;
    }
    this.#checkWaiters();
  }

  #echo(names: string[], cleared: boolean): void {
    for (const name of names) {
      this.#send(this.#wire.markEcho(name, cleared));
      this.#marksEchoed += 1;
    }
  }

  #checkWaiters(): void {
    for (const waiter of this.#waiters) {
      if (waiter.ready()) {
        this.#waiters.delete(waiter);
        waiter.resolve();
      }
    }
  }

  #send(frame: string | Buffer): void {
    if (this.#socket.readyState === WebSocket.OPEN) this.#socket.send(frame);
  }

  #hangUp(by: CallerEndedBy): void {
    if (this.#ended !== undefined) return;
    // Marks whose audio played by now are reported before the stream stops.
    this.#echo(this.#timeline.advanceTo(this.nowMs()), false);
    const stop = this.#wire.stop();
    if (stop !== undefined) this.#send(stop);
    this.#end(by);
    if (this.#socket.readyState === WebSocket.OPEN) this.#socket.close(1000, 'caller hung up');
    // A bridge that never completes the closing handshake must not keep the caller alive.
    setTimeout(() => this.#socket.terminate(), 1_000).unref();
  }

  #end(by: CallerEndedBy): void {
    if (this.#ended !== undefined) return;
    this.#ended = by;
    this.#endedAtMs = this.nowMs();
    this.#echo(this.#timeline.advanceTo(this.#endedAtMs), false);
    clearTimeout(this.#tickTimer);
    clearTimeout(this.#maxTimer);
    this.#speech = undefined;
    for (const waiter of this.#waiters) waiter.reject(new CallEnded());
    this.#waiters.clear();
  }
}
