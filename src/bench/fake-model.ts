/**
 * A purpose-built stand-in for Qwen-Omni-Realtime that talks continuously, for load tests. The
 * project's simulator plays scripted turns driven by VAD on the caller's audio, so it cannot keep
 * fifty sessions speaking for the length of a measurement; this one follows the protocol only as
 * far as the bridge's client needs: session.created on connect, session.updated in reply to
 * session.update, and responses (response.created, 100 ms response.audio.delta events in real
 * time, response.audio.done, response.done).
 *
 * Each session speaks for RESPONSE_DELTAS deltas, pauses GAP_MS, and starts again by itself (as a
 * VAD-triggered turn would). The pause lets the bridge's playout go idle, so the first frame of
 * the next response measures the path, not the pacer's grid. The first response answers the
 * client's response.create (the greeting); it also tells the driver the call is up.
 *
 * It also measures: it knows the uplink message it received and, through the linked caller
 * (`CallPeer`), when the caller frame that completed it was sent.
 */
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { FixedRateSchedule, ScheduledTask } from './fixed-rate-schedule.js';
import type { LatencyLog } from './latency-log.js';
import type { LoadTarget } from './load-protocol.js';
import { KEEP_ALIVE } from '../models/qwen-capabilities.js';
import { base64DecodedBytes, modelDeltasBase64 } from './synthetic-audio.js';
import { wsText } from './ws-text.js';

export const REALTIME_PATH = '/api-ws/v1/realtime';
export const DELTA_MS = 100;
export const RESPONSE_DELTAS = 14;
/** Longer than the bridge's 60 ms playout lead plus timer slack, so each response starts from idle. */
export const GAP_MS = 200;
/** 20 ms of caller audio at the model's 16 kHz input rate. */
const UPLINK_SAMPLES_PER_FRAME = 320;
const DELTA_VARIANTS = 8;
/** One keep-alive append: KEEP_ALIVE.silenceMs of 16 kHz PCM16. */
const KEEP_ALIVE_BYTES = (KEEP_ALIVE.silenceMs * 16_000 * 2) / 1000;
/**
 * The bridge (and the floor) send one append per 100 ms, so their up path has a fifth of the
 * relay's samples, and one stall of the machine that delays every call at once lands in their
 * p99 but not the relay's. The relay's latency is therefore sampled at the frames that would
 * complete an append (every fifth), so all targets are measured at the same rate.
 */
const RELAY_SAMPLE_EVERY_FRAMES = 5;

/** The caller on the other end of a session, as the fake model sees it. */
export interface CallPeer {
  /** performance.now() when the caller sent frame `index` (0 = first media frame), if still known. */
  frameSentAt(index: number): number | undefined;
  /** A response's first audio leaves the model now; the next audio the caller receives is its start. */
  responseAudioStarted(atMs: number): void;
}

export interface FakeModelSettings {
  target: LoadTarget;
  stream: boolean;
  upHoldBackSamples: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class FakeModelSession implements ScheduledTask {
  /** Set by the driver once it knows which caller this session serves. */
  peer: CallPeer | undefined;
  readonly closed: Promise<void>;

  readonly #ws: WebSocket;
  readonly #id: string;
  readonly #model: string;
  readonly #settings: FakeModelSettings;
  readonly #schedule: FixedRateSchedule;
  readonly #log: LatencyLog;
  readonly #deltas: readonly string[];
  readonly #onReady: (session: FakeModelSession) => void;
  #ready = false;
  #speaking = false;
  #isClosed = false;
  #events = 0;
  #responses = 0;
  #deltaIndex = 0;
  #responseId = '';
  #itemId = '';
  #uplinkSamples = 0;
  #uplinkFrames = 0;

  constructor(
    ws: WebSocket,
    id: string,
    model: string,
    deps: {
      settings: FakeModelSettings;
      schedule: FixedRateSchedule;
      log: LatencyLog;
      deltas: readonly string[];
      onReady: (session: FakeModelSession) => void;
    },
  ) {
    this.#ws = ws;
    this.#id = id;
    this.#model = model;
    this.#settings = { ...deps.settings };
    this.#schedule = deps.schedule;
    this.#log = deps.log;
    this.#deltas = deps.deltas;
    this.#onReady = deps.onReady;
    this.closed = new Promise((resolve) => {
      ws.on('close', () => {
        this.#isClosed = true;
        this.#schedule.remove(this);
        resolve();
      });
    });
    ws.on('error', () => ws.terminate());
    ws.on('message', this.#onMessage);
    this.#send({ type: 'session.created', session: { id: this.#id, object: 'realtime.session', model: this.#model } });
  }

  terminate(): void {
    this.#ws.terminate();
  }

  run(dueMs: number): number | undefined {
    if (this.#isClosed) return undefined;
    if (this.#deltaIndex === 0) {
      this.#responses += 1;
      this.#responseId = `resp_${this.#id}_${this.#responses}`;
      this.#itemId = `item_${this.#id}_${this.#responses}`;
      this.#send({ type: 'response.created', response: this.#response('in_progress') });
      this.#log.count('responsesStarted');
    }
    const delta = this.#deltas[(this.#responses + this.#deltaIndex) % this.#deltas.length]!;
    // Built by hand: this is the driver's hottest message and its shape never changes.
    const message =
      `{"event_id":"event_${this.#id}_${++this.#events}","type":"response.audio.delta","response_id":"${this.#responseId}",` +
      `"item_id":"${this.#itemId}","output_index":0,"content_index":0,"delta":"${delta}"}`;
    if (this.#deltaIndex === 0) this.peer?.responseAudioStarted(performance.now());
    this.#ws.send(message);
    this.#log.count('deltasSent');
    this.#deltaIndex += 1;
    if (this.#deltaIndex < RESPONSE_DELTAS) return dueMs + DELTA_MS;
    this.#deltaIndex = 0;
    const ref = { response_id: this.#responseId, item_id: this.#itemId, output_index: 0, content_index: 0 };
    this.#send({ type: 'response.audio.done', ...ref });
    this.#send({ type: 'response.done', response: this.#response('completed') });
    return dueMs + DELTA_MS + GAP_MS;
  }

  #response(status: 'in_progress' | 'completed'): Record<string, unknown> {
    const body: Record<string, unknown> = {
      id: this.#responseId,
      object: 'realtime.response',
      status,
      modalities: ['text', 'audio'],
      output: [],
    };
    if (status === 'completed') {
      body.usage = {
        total_tokens: 60,
        input_tokens: 40,
        output_tokens: 20,
        input_tokens_details: { audio_tokens: 35, text_tokens: 5 },
        output_tokens_details: { audio_tokens: 18, text_tokens: 2 },
      };
    }
    return body;
  }

  #onMessage = (data: RawData, isBinary: boolean): void => {
    const atMs = performance.now();
    if (isBinary || this.#isClosed) return;
    let message: unknown;
    try {
      message = JSON.parse(wsText(data));
    } catch {
      return;
    }
    if (!isRecord(message)) return;
    if (message.type === 'input_audio_buffer.append' && typeof message.audio === 'string') {
      // The bridge's keep-alive (a second of silence while a session hears nothing, as calls do
      // while the others are being set up) is not caller audio: counting it would shift every
      // later append onto the wrong caller frame.
      if (base64DecodedBytes(message.audio) === KEEP_ALIVE_BYTES) return;
      this.#onAppend(message.audio, atMs);
    } else if (message.type === 'conversation.item.create') {
      // The greeting's text cue: confirmed as the service does, so the bridge does not wait for its
      // confirmation timeout before asking for the greeting.
      const item = isRecord(message.item) ? message.item : {};
      this.#send({ type: 'conversation.item.created', item: { ...item, id: `item_${this.#id}_cue`, status: 'completed' } });
    } else if (message.event === 'media') {
      // The plain relay forwards the caller's frames as they are: each is its own uplink message.
      const frame = this.#uplinkFrames++;
      this.#onUplink(frame, atMs, (frame + 1) % RELAY_SAMPLE_EVERY_FRAMES === 0);
    } else if (message.type === 'session.update') {
      const requested = isRecord(message.session) ? message.session : {};
      this.#send({ type: 'session.updated', session: { ...requested, id: this.#id, object: 'realtime.session', model: this.#model } });
    } else if (message.type === 'response.create') {
      this.#onResponseCreate();
    }
  }

  #onAppend(audioBase64: string, atMs: number): void {
    this.#uplinkSamples += base64DecodedBytes(audioBase64) / 2;
    // The bridge sends an append as soon as a frame fills the batch; the resampler's hold-back
    // shifts which frame that is.
    const completing = Math.ceil((this.#uplinkSamples + this.#settings.upHoldBackSamples) / UPLINK_SAMPLES_PER_FRAME) - 1;
    this.#onUplink(completing, atMs);
  }

  #onUplink(frameIndex: number, atMs: number, sampled = true): void {
    this.#log.count('uplinkMessagesAtModel');
    const sentAt = this.peer?.frameSentAt(frameIndex);
    if (sentAt === undefined) this.#log.count('uplinkUnmatched');
    else if (sampled) this.#log.up(atMs - sentAt);
  }

  #onResponseCreate(): void {
    if (!this.#settings.stream) {
      // Setup-only runs: an empty answer completes the greeting without starting audio work.
      this.#responses += 1;
      this.#responseId = `resp_${this.#id}_${this.#responses}`;
      this.#send({ type: 'response.created', response: this.#response('in_progress') });
      this.#send({ type: 'response.done', response: this.#response('completed') });
    } else if (!this.#speaking) {
      this.#speaking = true;
      this.#schedule.add(this, performance.now());
    }
    // While speaking, a further request would be refused by the service; the bridge sends none here.
    if (!this.#ready) {
      this.#ready = true;
      this.#onReady(this);
    }
  }

  #send(body: Record<string, unknown>): void {
    if (this.#ws.readyState !== this.#ws.OPEN) return;
    this.#ws.send(JSON.stringify({ event_id: `event_${this.#id}_${++this.#events}`, ...body }));
  }
}

export class FakeModel {
  /** Applies to sessions that connect from now on. */
  settings: FakeModelSettings = { target: 'bridge', stream: true, upHoldBackSamples: 0 };

  readonly #wss: WebSocketServer;
  readonly #schedule: FixedRateSchedule;
  readonly #log: LatencyLog;
  readonly #deltas = modelDeltasBase64(DELTA_VARIANTS, DELTA_MS);
  readonly #live = new Set<FakeModelSession>();
  #sessions = 0;
  #readyTotal = 0;
  #readyWaiters: Array<(session: FakeModelSession) => void> = [];
  #settleWaiters: Array<() => void> = [];

  private constructor(wss: WebSocketServer, schedule: FixedRateSchedule, log: LatencyLog) {
    this.#wss = wss;
    this.#schedule = schedule;
    this.#log = log;
    wss.on('connection', (ws: WebSocket, request: IncomingMessage) => this.#accept(ws, request));
  }

  static start(schedule: FixedRateSchedule, log: LatencyLog): Promise<FakeModel> {
    return new Promise((resolve, reject) => {
      const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: REALTIME_PATH, perMessageDeflate: false });
      wss.once('error', reject);
      wss.once('listening', () => resolve(new FakeModel(wss, schedule, log)));
    });
  }

  get url(): string {
    const { port } = this.#wss.address() as AddressInfo;
    return `ws://127.0.0.1:${port}${REALTIME_PATH}`;
  }

  /** Sessions that have answered their first response.create. */
  get readyTotal(): number {
    return this.#readyTotal;
  }

  /** The next session to become ready (the caller about to be opened gets linked to it). */
  nextReady(timeoutMs: number): Promise<FakeModelSession> {
    return new Promise((resolve, reject) => {
      const waiter = (session: FakeModelSession): void => {
        clearTimeout(timer);
        resolve(session);
      };
      const timer = setTimeout(() => {
        this.#readyWaiters = this.#readyWaiters.filter((w) => w !== waiter);
        reject(new Error(`no model session became ready within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#readyWaiters.push(waiter);
    });
  }

  /**
   * Resolves once `settled()` is true, re-checked whenever a session becomes ready and whenever
   * `recheck()` is called; rejects after `timeoutMs`.
   */
  whenSettled(settled: () => boolean, timeoutMs: number): Promise<void> {
    if (settled()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = (): void => {
        if (!settled()) return;
        clearTimeout(timer);
        this.#settleWaiters = this.#settleWaiters.filter((w) => w !== waiter);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#settleWaiters = this.#settleWaiters.filter((w) => w !== waiter);
        reject(new Error(`calls did not settle within ${timeoutMs} ms (${this.#readyTotal} model sessions ready so far)`));
      }, timeoutMs);
      this.#settleWaiters.push(waiter);
    });
  }

  /** Something a `whenSettled` condition depends on changed outside this server. */
  recheck(): void {
    for (const waiter of [...this.#settleWaiters]) waiter();
  }

  /** Resolves once no session is open, or after `timeoutMs` with the number still open (then terminated). */
  async whenAllClosed(timeoutMs: number): Promise<number> {
    const open = [...this.#live];
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    const outcome = await Promise.race([Promise.all(open.map((s) => s.closed)), timedOut]);
    clearTimeout(timer);
    if (outcome !== 'timeout') return 0;
    const left = [...this.#live];
    for (const session of left) session.terminate();
    return left.length;
  }

  close(): Promise<void> {
    for (const session of this.#live) session.terminate();
    return new Promise((resolve) => this.#wss.close(() => resolve()));
  }

  #accept(ws: WebSocket, request: IncomingMessage): void {
    const model = new URL(request.url ?? '/', 'http://fake.invalid').searchParams.get('model') ?? '';
    this.#sessions += 1;
    const session = new FakeModelSession(ws, `sess${this.#sessions}`, model, {
      settings: this.settings,
      schedule: this.#schedule,
      log: this.#log,
      deltas: this.#deltas,
      onReady: (ready) => this.#ready(ready),
    });
    this.#live.add(session);
    void session.closed.then(() => this.#live.delete(session));
  }

  #ready(session: FakeModelSession): void {
    this.#readyTotal += 1;
    this.#readyWaiters.shift()?.(session);
    this.recheck();
  }
}
