/**
 * One Qwen-Omni-Realtime session over one WebSocket: the handshake (session.created →
 * session.update → session.updated), caller audio out, model events in, and how it ends.
 * `createQwenConnector` in qwen-session.ts is the way in.
 */
import { randomUUID } from 'node:crypto';
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type WebSocket from 'ws';
import type { AgentProfile } from '../agent/profile.js';
import { pcm16ToBase64 } from '../audio/pcm.js';
import { AiConnectError, type AiEvent, type AiSession } from '../call/ai-session.js';
import { AppendBatcher } from './append-batcher.js';
import {
  functionCallOutput,
  inputAudioAppend,
  responseCancel,
  responseCreate,
  sessionUpdate,
  type QwenClientEvent,
} from './qwen-client-events.js';
import { parseServerFrame, type QwenServerEvent } from './qwen-events.js';
import { QWEN_INPUT_RATE_HZ, QWEN_OUTPUT_RATE_HZ, inputSamplesFor } from './qwen-audio-format.js';
import { ResponseTracker, type ResponseCommand } from './response-tracker.js';
import { toAiEvent } from './server-event-mapping.js';
import { handshakeErrorEventError, readBodySnippet, upgradeFailureError } from './connect-failure.js';

/** How long a closing socket may wait for the service's close frame before it is terminated. */
const CLOSE_HANDSHAKE_LIMIT_MS = 500;

export type QwenConnectionState = 'connecting' | 'open' | 'closing' | 'closed';

export interface QwenSessionStats {
  sentAppends: number;
  /** Caller audio that never left: appended while not open, cut off by close, or the socket was backed up. */
  droppedInputSamples: number;
  /** Audio deltas of responses we had cancelled. */
  droppedAudioDeltas: number;
  /** Errors taken as the server's answer to a cancel that found nothing to cancel. */
  swallowedCancelErrors: number;
  malformedFrames: number;
  unknownEvents: number;
}

export interface QwenSessionSettings {
  profile: AgentProfile;
  appendBatchMs: number;
  sessionCapMs: number;
  /** Used only to keep the key out of anything we log; it is never sent from here. */
  apiKey: string;
  endpointHost: string;
  nowMs: () => number;
}

/**
 * Above this many unsent bytes the link is not keeping up; appends are dropped rather than queued,
 * since late caller audio is worse than missing caller audio. About 4 s of 16 kHz PCM16 in base64.
 */
const MAX_BUFFERED_BYTES = 192 * 1024;

/** The server's cap is measured from its side of the handshake, ours from the open event. */
const MAX_SESSION_CAP_TOLERANCE_MS = 30_000;

export class QwenRealtimeSession implements AiSession {
  readonly inputRateHz = QWEN_INPUT_RATE_HZ;
  readonly outputRateHz = QWEN_OUTPUT_RATE_HZ;

  private connection: QwenConnectionState = 'connecting';
  private handshakeStep: 'awaiting_created' | 'awaiting_updated' = 'awaiting_created';
  private readonly counters: QwenSessionStats = {
    sentAppends: 0,
    droppedInputSamples: 0,
    droppedAudioDeltas: 0,
    swallowedCancelErrors: 0,
    malformedFrames: 0,
    unknownEvents: 0,
  };
  private readonly batcher: AppendBatcher;
  private readonly tracker: ResponseTracker;
  private openedAtMs: number | undefined;
  private socketError: Error | undefined;
  private delivering = false;
  private readonly undelivered: AiEvent[] = [];
  private settleReady!: { resolve: () => void; reject: (err: unknown) => void };

  /** Settles once: on session.updated, or with the reason the session could not be set up. */
  readonly ready: Promise<void>;

  constructor(
    private readonly socket: WebSocket,
    private readonly onEvent: (event: AiEvent) => void,
    private readonly log: Logger,
    private readonly settings: QwenSessionSettings,
  ) {
    this.ready = new Promise<void>((resolve, reject) => {
      this.settleReady = { resolve, reject };
    });
    this.batcher = new AppendBatcher(inputSamplesFor(settings.appendBatchMs), (pcm) => this.sendBatch(pcm));
    this.tracker = new ResponseTracker(settings.nowMs);
    socket.on('open', () => this.onOpen());
    socket.on('message', (data: WebSocket.RawData, isBinary: boolean) => this.onMessage(data, isBinary));
    socket.on('unexpected-response', (req: ClientRequest, res: IncomingMessage) => this.onUnexpectedResponse(req, res));
    // Also keeps ws from throwing an unhandled 'error' when a handshake we abandon is aborted.
    socket.on('error', (err: Error) => this.onSocketError(err));
    socket.on('close', (code: number, reason: Buffer) => this.onClose(code, reason.toString('utf8')));
  }

  get state(): QwenConnectionState {
    return this.connection;
  }

  get stats(): Readonly<QwenSessionStats> {
    return { ...this.counters };
  }

  appendAudio(pcm: Int16Array): void {
    if (this.connection !== 'open') {
      this.counters.droppedInputSamples += pcm.length;
      return;
    }
    this.batcher.push(pcm);
  }

  flushAudio(): void {
    if (this.connection === 'open') this.batcher.flush();
  }

  createResponse(instructions?: string): void {
    if (this.connection !== 'open') {
      this.log.debug({ state: this.connection }, 'response request dropped: session not open');
      return;
    }
    const command = this.tracker.requestCreate(instructions);
    if (command === undefined) this.log.debug({ phase: this.tracker.phase.kind }, 'response request queued');
    else this.sendCommand(command);
  }

  cancelResponse(): void {
    if (this.connection !== 'open') return;
    const command = this.tracker.requestCancel();
    if (command === undefined) this.log.debug({ phase: this.tracker.phase.kind }, 'no response to cancel now');
    else this.sendCommand(command);
  }

  sendToolResult(toolCallId: string, output: string): void {
    if (this.connection !== 'open') {
      this.log.warn({ toolCallId, state: this.connection }, 'tool result dropped: session not open');
      return;
    }
    this.send(functionCallOutput(toolCallId, output));
    // The service does not answer a tool result by itself; the final answer has to be asked for.
    this.createResponse();
  }

  close(): void {
    if (this.connection === 'connecting') {
      this.failConnect(new AiConnectError('handshake', 'session closed before it was ready'));
      return;
    }
    if (this.connection !== 'open') return;
    this.connection = 'closing';
    this.counters.droppedInputSamples += this.batcher.discard();
    this.undelivered.length = 0;
    this.log.info({ stats: this.stats, sessionAgeMs: this.sessionAgeMs() }, 'qwen session closing');
    this.socket.close(1000);
    // Billing runs while the socket is open: if the service does not finish the close handshake
    // promptly, drop the TCP connection rather than wait for ws's 30 s close timeout.
    const socket = this.socket;
    setTimeout(() => {
      if (socket.readyState !== socket.CLOSED) socket.terminate();
    }, CLOSE_HANDSHAKE_LIMIT_MS).unref();
  }

  /** Abandons a session that is still connecting (timeout, abort, refused upgrade). */
  failConnect(reason: unknown): void {
    if (this.connection !== 'connecting') return;
    this.connection = 'closed';
    this.socket.terminate();
    this.settleReady.reject(reason);
  }

  /**
   * Starts passing events to `onEvent`. Deferred to the next turn of the event loop so the
   * connector's caller has its session in hand before the first event (`ready`) arrives.
   */
  startDelivery(): void {
    setImmediate(() => {
      this.delivering = true;
      for (let event = this.undelivered.shift(); event !== undefined; event = this.undelivered.shift()) {
        this.invokeHandler(event);
      }
    });
  }

  private deliver(event: AiEvent): void {
    if (this.connection === 'closing') return;
    if (this.delivering) this.invokeHandler(event);
    else this.undelivered.push(event);
  }

  private invokeHandler(event: AiEvent): void {
    try {
      this.onEvent(event);
    } catch (err) {
      // The handler runs inside the socket's data callback, where a throw would take the process down.
      this.log.error({ err, eventType: event.type }, 'ai event handler threw');
    }
  }

  private onOpen(): void {
    this.openedAtMs = this.settings.nowMs();
    this.log.debug('qwen socket open');
  }

  private onUnexpectedResponse(_req: ClientRequest, res: IncomingMessage): void {
    const httpStatus = res.statusCode ?? 0;
    this.log.warn({ httpStatus }, 'qwen refused the websocket upgrade');
    void readBodySnippet(res, this.settings.apiKey).then((body) => {
      this.failConnect(upgradeFailureError(httpStatus, this.settings.endpointHost, body));
    });
  }

  private onSocketError(err: Error): void {
    switch (this.connection) {
      case 'connecting':
        this.failConnect(new AiConnectError('handshake', `could not connect to Qwen: ${err.message}`));
        return;
      case 'open':
        // ws always follows an error with close; the close reports it, once.
        this.socketError = err;
        return;
      case 'closing':
      case 'closed':
        this.log.debug({ err: err.message }, 'qwen socket error after close');
        return;
    }
  }

  private onClose(code: number, reason: string): void {
    switch (this.connection) {
      case 'connecting':
        this.failConnect(
          new AiConnectError('handshake', `Qwen closed the socket during the handshake (code ${code}${reason === '' ? '' : `, ${reason}`})`),
        );
        return;
      case 'closing':
        this.connection = 'closed';
        this.log.debug({ code }, 'qwen socket closed');
        return;
      case 'closed':
        return;
      case 'open':
        break;
    }
    this.connection = 'closed';
    this.counters.droppedInputSamples += this.batcher.discard();
    const sessionAgeMs = this.sessionAgeMs();
    const cause = this.isAtSessionCap(sessionAgeMs) ? 'session_cap' : this.socketError === undefined ? 'remote_close' : 'socket_error';
    const detail = reason !== '' ? reason : this.socketError !== undefined ? this.socketError.message : `closed by the server with code ${code}`;
    this.log.warn({ cause, code, detail, sessionAgeMs, stats: this.stats }, 'qwen session ended by the server');
    this.deliver({ type: 'closed', cause, code, detail });
  }

  private sessionAgeMs(): number {
    return this.openedAtMs === undefined ? 0 : this.settings.nowMs() - this.openedAtMs;
  }

  /** The service closes at its limit with no warning and an undocumented code: only the age tells. */
  private isAtSessionCap(sessionAgeMs: number): boolean {
    const toleranceMs = Math.min(MAX_SESSION_CAP_TOLERANCE_MS, this.settings.sessionCapMs / 100);
    return sessionAgeMs >= this.settings.sessionCapMs - toleranceMs;
  }

  private onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    if (this.connection === 'closing' || this.connection === 'closed') return;
    if (isBinary) {
      this.counters.malformedFrames += 1;
      this.log.warn('qwen sent a binary frame; ignored');
      return;
    }
    const text = Buffer.isBuffer(data)
      ? data.toString('utf8')
      : Array.isArray(data)
        ? Buffer.concat(data).toString('utf8')
        : Buffer.from(data).toString('utf8');
    const frame = parseServerFrame(text);
    switch (frame.kind) {
      case 'malformed':
        // One bad frame does not desynchronise the others (each is a whole JSON document), and
        // hanging up on a caller over it would cost more than skipping it.
        this.counters.malformedFrames += 1;
        this.log.warn({ eventType: frame.type, reason: frame.reason }, 'malformed qwen event ignored');
        return;
      case 'unknown':
        this.counters.unknownEvents += 1;
        this.log.debug({ eventType: frame.type }, 'unknown qwen event ignored');
        return;
      case 'unused':
        this.log.trace({ eventType: frame.type }, 'qwen event not used');
        return;
      case 'event':
        if (this.connection === 'connecting') this.onHandshakeEvent(frame.event);
        else this.onSessionEvent(frame.event);
        return;
    }
  }

  private onHandshakeEvent(event: QwenServerEvent): void {
    if (event.type === 'session.created' && this.handshakeStep === 'awaiting_created') {
      this.log.debug({ sessionId: event.sessionId }, 'qwen session created');
      this.handshakeStep = 'awaiting_updated';
      this.send(sessionUpdate(this.settings.profile));
    } else if (event.type === 'session.updated' && this.handshakeStep === 'awaiting_updated') {
      this.connection = 'open';
      this.log.info({ sessionId: event.sessionId }, 'qwen session ready');
      this.deliver({ type: 'ready' });
      this.settleReady.resolve();
    } else if (event.type === 'error') {
      this.log.warn({ code: event.code, param: event.param, errorMessage: event.message }, 'qwen error during the handshake');
      this.failConnect(
        handshakeErrorEventError(event.code, event.message, this.handshakeStep === 'awaiting_updated', this.settings.endpointHost),
      );
    } else {
      this.log.debug({ eventType: event.type }, 'qwen event before the session was ready ignored');
    }
  }

  private onSessionEvent(event: QwenServerEvent): void {
    if (!this.keepResponsesInStep(event)) return;
    const aiEvent = toAiEvent(event, this.log);
    if (aiEvent !== undefined) this.deliver(aiEvent);
  }

  /** Feeds the response tracker and sends what it asks for; false when the core must not see the event. */
  private keepResponsesInStep(event: QwenServerEvent): boolean {
    let command: ResponseCommand | undefined;
    if (event.type === 'error') {
      const verdict = this.tracker.onError();
      if (verdict.kind === 'cancel_race') {
        this.counters.swallowedCancelErrors += 1;
        this.log.debug({ code: event.code, errorMessage: event.message }, 'error after response.cancel ignored');
        return false;
      }
      this.log.warn({ code: event.code, param: event.param, errorMessage: event.message, verdict: verdict.kind }, 'qwen error');
      if (verdict.kind === 'create_failed') command = verdict.command;
    } else if (event.type === 'response.created') {
      command = this.tracker.onCreated(event.responseId);
    } else if (event.type === 'response.audio.delta' && this.tracker.isCancelled(event.responseId)) {
      this.counters.droppedAudioDeltas += 1;
      return false;
    } else if (event.type === 'response.done') {
      command = this.tracker.onDone(event.responseId);
    }
    if (command !== undefined) this.sendCommand(command);
    return true;
  }

  private sendBatch(pcm: Int16Array): void {
    if (this.socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.counters.droppedInputSamples += pcm.length;
      this.log.debug({ bufferedBytes: this.socket.bufferedAmount }, 'caller audio dropped: socket backed up');
      return;
    }
    this.send(inputAudioAppend(pcm16ToBase64(pcm)));
    this.counters.sentAppends += 1;
  }

  private sendCommand(command: ResponseCommand): void {
    if (command.type === 'create') this.send(responseCreate(command.instructions));
    else this.send(responseCancel());
  }

  private send(event: QwenClientEvent): void {
    if (this.socket.readyState !== this.socket.OPEN) {
      this.log.debug({ eventType: event.type }, 'qwen event not sent: socket not open');
      return;
    }
    if (event.type !== 'input_audio_buffer.append') this.log.debug({ eventType: event.type }, 'qwen event sent');
    // The service accepts events without an id; one per event makes a support ticket traceable.
    const eventId = `event_${randomUUID().replaceAll('-', '')}`;
    this.socket.send(JSON.stringify({ event_id: eventId, ...event }), (err) => {
      if (err !== undefined && err !== null) this.log.debug({ err: err.message }, 'qwen send failed');
    });
  }
}
