/**
 * One Qwen-Omni-Realtime session over one WebSocket: the handshake (session.created →
 * session.update → session.updated), caller audio out, model events in, and how it ends.
 * `createQwenConnector` in qwen-session.ts is the way in.
 */
import { randomUUID } from 'node:crypto';
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type WebSocket from 'ws';
import type { AgentProfile } from '../call/agent-profile.js';
import { pcm16ToBase64 } from '../audio/pcm.js';
import { AiConnectError, type AiEvent, type AiSession } from '../call/ai-session.js';
import { capabilitiesOf, type QwenModelCapabilities } from '../models/qwen-capabilities.js';
import { AppendBatcher } from './append-batcher.js';
import {
  functionCallOutput,
  inputAudioAppend,
  responseCancel,
  responseCreate,
  sessionUpdate,
  userText,
  type QwenClientEvent,
  type QwenSessionConfig,
} from './qwen-client-events.js';
import { parseServerFrame, type FunctionCallItem, type ParsedServerFrame, type QwenServerEvent } from './qwen-events.js';
import { QWEN_INPUT_RATE_HZ, QWEN_OUTPUT_RATE_HZ, inputSamplesFor } from './qwen-audio-format.js';
import { ResponseTracker, type ResponseCommand } from './response-tracker.js';
import { toAiEvent, toResponseStatus } from './server-event-mapping.js';
import { handshakeErrorEventError, readBodySnippet, upgradeFailureError } from './connect-failure.js';
import { echoDifferences } from './session-echo.js';
import { keepAliveAppend } from './keep-alive.js';
import { ToolCallBatches } from './tool-call-batches.js';

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
  /** Seconds of silence sent so the service does not close an idle session (hold, media gap). */
  keepAlivesSent: number;
  /** response.create requests the service never answered with response.created. */
  unansweredRequests: number;
  /** Tool calls not run because their response ended cancelled or failed. */
  droppedToolCalls: number;
}

/** What the probe (and tests) may watch: every frame in, as parsed, and every event out. */
export interface QwenFrameObserver {
  received(frame: ParsedServerFrame, text: string, atMs: number): void;
  sent(event: QwenClientEvent, atMs: number): void;
}

export interface QwenSessionSettings {
  profile: AgentProfile;
  appendBatchMs: number;
  sessionCapMs: number;
  /** Used only to keep the key out of anything we log; it is never sent from here. */
  apiKey: string;
  endpointHost: string;
  nowMs: () => number;
  /** Send a second of silence when no caller audio went out for this long; 0: never. */
  keepAliveIntervalMs: number;
  /** Give up on a response.create the service does not answer within this long. */
  responseCreatedTimeoutMs: number;
  observer?: QwenFrameObserver;
}

/** What the model is told, as a user turn, when it is to greet (families that take text items). */
export const GREETING_CUE = '[The phone call has just been connected. The caller has not said anything yet.]';

/** A caller transcript this late after its turn ended is given up on. */
const TRANSCRIPT_OVERDUE_MS = 10_000;

/** How long the greeting waits for conversation.item.created of its text cue before asking anyway. */
const GREETING_CUE_ACK_MS = 500;

/** The service matches nothing better than the message text for a voice the model cannot speak. */
const VOICE_REJECTED = /voice\b.*\b(not supported|unsupported|invalid|not exist)|(unsupported|invalid) voice/i;

/**
 * Above this many unsent bytes the link is not keeping up; appends are dropped rather than queued,
 * since late caller audio is worse than missing caller audio. About 4 s of 16 kHz PCM16 in base64.
 */
const MAX_BUFFERED_BYTES = 192 * 1024;

/** The server's cap is measured from its side of the handshake, ours from the open event. */
const MAX_SESSION_CAP_TOLERANCE_MS = 30_000;

export class QwenRealtimeSession implements AiSession {
  sessionId = '';
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
    keepAlivesSent: 0,
    unansweredRequests: 0,
    droppedToolCalls: 0,
  };
  private readonly batcher: AppendBatcher;
  private readonly tracker: ResponseTracker;
  private readonly toolCalls = new ToolCallBatches();
  private readonly capabilities: QwenModelCapabilities;
  private sentConfig: QwenSessionConfig | undefined;
  private lastAppendAtMs = 0;
  /** Event ids: this session's random prefix, then a count of the events sent. */
  private readonly eventIdPrefix = randomUUID().replaceAll('-', '').slice(0, 16);
  private sentEvents = 0;
  private keepAliveTimer: NodeJS.Timeout | undefined;
  private createdTimer: NodeJS.Timeout | undefined;
  /** Audio deltas of the response in flight, and whether any response has finished yet. */
  private audioDeltasOfResponse = 0;
  private anyResponseDone = false;
  private configRejected = false;
  /** Caller turns whose final transcript has not arrived (what `finish` waits for). */
  private readonly awaitingTranscripts = new Map<string, number>();
  private finishing: { resolve: () => void; timer: NodeJS.Timeout } | undefined;
  /** The greeting's text cue is out; its response.create waits for the item's confirmation. */
  private greetingCue: { instructions: string; timer: NodeJS.Timeout } | undefined;
  /** From the upgrade request, not the socket's open: never later than the service starts its
   *  own clock, so a close at the service's cap cannot look early (and be taken for a drop). */
  private readonly startedAtMs: number;
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
    this.capabilities = capabilitiesOf(settings.profile.model);
    this.startedAtMs = settings.nowMs();
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
    if (this.connection !== 'open' || this.finishing !== undefined) {
      this.counters.droppedInputSamples += pcm.length;
      return;
    }
    this.batcher.push(pcm);
  }

  flushAudio(): void {
    if (this.connection === 'open') this.batcher.flush();
  }

  greet(instructions: string): void {
    if (this.connection !== 'open') return;
    if (!this.capabilities.userTextItems) {
      this.createResponse(instructions);
      return;
    }
    // Qwen-Live-Harness and clients tested live make the model speak first with a user text item;
    // a bare response.create on an empty conversation is not documented to work. The request
    // follows once the item is confirmed, so a service that refuses the item (its error) is not
    // mistaken for one that refused the greeting: then the request goes out on its own.
    this.send(userText(GREETING_CUE));
    const timer = setTimeout(() => this.sendGreetingRequest('no confirmation of the text cue'), GREETING_CUE_ACK_MS);
    timer.unref();
    this.greetingCue = { instructions, timer };
  }

  private sendGreetingRequest(how: string): void {
    const cue = this.greetingCue;
    if (cue === undefined) return;
    clearTimeout(cue.timer);
    this.greetingCue = undefined;
    this.log.debug({ how }, 'greeting requested');
    this.createResponse(cue.instructions);
  }

  createResponse(instructions?: string): void {
    if (this.connection !== 'open' || this.finishing !== undefined) {
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
    const verdict = this.toolCalls.onOutput(toolCallId, output);
    switch (verdict.kind) {
      case 'unknown':
        this.log.warn({ toolCallId }, 'tool result for a call that is not waiting for one; dropped');
        return;
      case 'wait':
        this.log.debug({ toolCallId }, 'tool result held until the response\'s other calls have theirs');
        return;
      case 'send':
        for (const { callId, output: text } of verdict.outputs) this.send(functionCallOutput(callId, text));
        // The service does not answer tool results by itself; the continuation is asked for once.
        this.createResponse();
        return;
    }
  }

  finish(maxWaitMs: number): Promise<void> | undefined {
    // A transcript that has not come in this long is not coming: no reason to hold the socket for it.
    for (const [itemId, sinceMs] of this.awaitingTranscripts) {
      if (this.settings.nowMs() - sinceMs > TRANSCRIPT_OVERDUE_MS) this.awaitingTranscripts.delete(itemId);
    }
    if (this.connection !== 'open' || this.awaitingTranscripts.size === 0 || maxWaitMs <= 0) {
      this.close();
      return undefined;
    }
    if (this.finishing !== undefined) return undefined;
    // Nothing more goes out; billing runs while the socket is open, so the wait is short.
    this.stopTimers();
    this.counters.droppedInputSamples += this.batcher.discard();
    this.log.debug({ items: this.awaitingTranscripts.size, maxWaitMs }, 'waiting for the last caller transcripts');
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.endFinish('gave up waiting'), maxWaitMs);
      timer.unref();
      this.finishing = { resolve, timer };
    });
  }

  private endFinish(how: string): void {
    const finishing = this.finishing;
    if (finishing === undefined) return;
    this.finishing = undefined;
    clearTimeout(finishing.timer);
    this.log.debug({ how, missing: this.awaitingTranscripts.size }, 'caller transcripts settled');
    this.close();
    finishing.resolve();
  }

  close(): void {
    if (this.finishing !== undefined) {
      this.endFinish('closed');
      return;
    }
    if (this.connection === 'connecting') {
      this.failConnect(new AiConnectError('handshake', 'session closed before it was ready'));
      return;
    }
    if (this.connection !== 'open') return;
    this.connection = 'closing';
    this.stopTimers();
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
    this.stopTimers();
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
    if (this.finishing !== undefined) {
      this.connection = 'closed';
      this.endFinish('the service closed');
      return;
    }
    this.connection = 'closed';
    this.stopTimers();
    this.counters.droppedInputSamples += this.batcher.discard();
    const sessionAgeMs = this.sessionAgeMs();
    const cause = this.isAtSessionCap(sessionAgeMs) ? 'session_cap' : this.socketError === undefined ? 'remote_close' : 'socket_error';
    const detail = reason !== '' ? reason : this.socketError !== undefined ? this.socketError.message : `closed by the server with code ${code}`;
    this.log.warn({ cause, code, detail, sessionAgeMs, stats: this.stats }, 'qwen session ended by the server');
    this.deliver({ type: 'closed', cause, code, detail });
  }

  private sessionAgeMs(): number {
    return this.settings.nowMs() - this.startedAtMs;
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
    this.settings.observer?.received(frame, text, this.settings.nowMs());
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
      this.sessionId = event.sessionId;
      this.log.debug({ sessionId: event.sessionId }, 'qwen session created');
      this.handshakeStep = 'awaiting_updated';
      const update = sessionUpdate(this.settings.profile);
      this.sentConfig = update.session;
      this.send(update);
    } else if (event.type === 'session.updated' && this.handshakeStep === 'awaiting_updated') {
      this.connection = 'open';
      this.log.info({ sessionId: event.sessionId }, 'qwen session ready');
      const differences = this.sentConfig === undefined ? [] : echoDifferences(this.sentConfig, event.echo);
      if (differences.length > 0) {
        this.log.warn({ model: this.settings.profile.model, differences }, 'qwen did not take all of the agent configuration');
      }
      this.startKeepAlive();
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
    switch (event.type) {
      case 'error':
        this.onErrorEvent(event);
        return;
      case 'response.created':
        this.onResponseCreated(event.responseId);
        return;
      case 'response.audio.delta':
      case 'response.audio_transcript.delta':
      case 'response.audio_transcript.done': {
        // A missing response_id means the response in flight.
        const responseId = event.responseId || (this.tracker.activeResponseId ?? '');
        if (this.tracker.isCancelled(responseId)) {
          if (event.type === 'response.audio.delta') this.counters.droppedAudioDeltas += 1;
          return;
        }
        if (event.type === 'response.audio.delta') this.audioDeltasOfResponse += 1;
        this.deliverMapped(event.responseId === responseId ? event : { ...event, responseId });
        return;
      }
      case 'response.function_call_arguments.done':
        this.noteToolCall(event.responseId, event.call);
        return;
      case 'response.output_item.done':
        if (event.call !== undefined) this.noteToolCall(event.responseId, event.call);
        return;
      case 'response.done':
        this.onResponseDone(event);
        return;
      case 'conversation.item.created':
        if (this.greetingCue !== undefined && event.itemType === 'message') this.sendGreetingRequest('cue confirmed');
        this.deliverMapped(event);
        return;
      case 'input_audio_buffer.speech_stopped':
      case 'input_audio_buffer.committed':
        if (this.settings.profile.transcribeCaller && event.itemId !== '') this.awaitingTranscripts.set(event.itemId, this.settings.nowMs());
        this.deliverMapped(event);
        return;
      case 'conversation.item.input_audio_transcription.completed':
      case 'conversation.item.input_audio_transcription.failed':
        this.awaitingTranscripts.delete(event.itemId);
        this.deliverMapped(event);
        if (this.finishing !== undefined && this.awaitingTranscripts.size === 0) this.endFinish('all transcripts in');
        return;
      case 'session.created':
      case 'session.updated':
      case 'input_audio_buffer.speech_started':
      case 'conversation.item.input_audio_transcription.delta':
      case 'response.audio.done':
        this.deliverMapped(event);
        return;
    }
  }

  private deliverMapped(event: QwenServerEvent): void {
    const aiEvent = toAiEvent(event, this.log);
    if (aiEvent !== undefined) this.deliver(aiEvent);
  }

  private onErrorEvent(event: Extract<QwenServerEvent, { type: 'error' }>): void {
    if (this.greetingCue !== undefined) {
      // The error answers the text cue (nothing else is in flight yet): greet without it.
      this.log.warn({ code: event.code, errorMessage: event.message }, 'qwen refused the greeting text cue; greeting with instructions only');
      this.sendGreetingRequest('cue refused');
      return;
    }
    const text = `${event.code} ${event.message}`;
    const verdict = this.tracker.onError(text);
    if (verdict.kind === 'cancel_race') {
      this.counters.swallowedCancelErrors += 1;
      this.log.debug({ code: event.code, errorMessage: event.message }, 'error answering our response.cancel ignored');
      return;
    }
    this.log.warn(
      { code: event.code, status: event.status, param: event.param, errorMessage: event.message, verdict: verdict.kind },
      'qwen error',
    );
    if (verdict.kind === 'create_failed') {
      this.clearCreatedTimer();
      if (verdict.command !== undefined) this.sendCommand(verdict.command);
    }
    this.deliver({ type: 'error', code: event.code, message: event.message });
    if (VOICE_REJECTED.test(event.message) && !this.configRejected) {
      this.configRejected = true;
      const detail = `voice ${this.settings.profile.voice} rejected by ${this.settings.profile.model}: ${event.message}`;
      this.log.error({ voice: this.settings.profile.voice, model: this.settings.profile.model }, 'qwen cannot speak with this voice: fix the agent');
      this.deliver({ type: 'config_rejected', detail });
    }
  }

  private onResponseCreated(responseId: string): void {
    this.clearCreatedTimer();
    const { command, superseded } = this.tracker.onCreated(responseId);
    if (superseded !== undefined) {
      // The old response will not finish on its own: the core treats it as cut off.
      this.log.info({ responseId: superseded, by: responseId }, 'qwen response superseded by a new one');
      this.dropToolCallsOf(superseded, 'superseded');
      this.deliver({ type: 'response_done', responseId: superseded, status: 'cancelled', statusDetails: 'superseded' });
    }
    this.audioDeltasOfResponse = 0;
    this.deliver({ type: 'response_started', responseId });
    if (command !== undefined) this.sendCommand(command);
  }

  private noteToolCall(eventResponseId: string, call: FunctionCallItem): void {
    const responseId = eventResponseId || (this.tracker.activeResponseId ?? '');
    if (!this.toolCalls.noteCall(responseId, call)) return;
    this.log.info({ toolCallId: call.callId, name: call.name, responseId }, 'model called a tool');
    // Length only: arguments may hold what the caller typed; the call logs them masked.
    this.log.debug({ toolCallId: call.callId, argumentsChars: call.arguments.length }, 'tool call arguments received');
  }

  private onResponseDone(event: Extract<QwenServerEvent, { type: 'response.done' }>): void {
    const responseId = event.responseId || (this.tracker.activeResponseId ?? '');
    const status = toResponseStatus(event.status, this.log);
    if (status !== 'completed') {
      this.log.info({ responseId, status: event.status, statusDetails: event.statusDetails }, 'qwen response did not complete');
    }
    if (!this.anyResponseDone && status !== 'cancelled') {
      this.anyResponseDone = true;
      if (this.audioDeltasOfResponse === 0 && event.calls.length === 0) {
        this.log.error(
          { responseId, status: event.status, statusDetails: event.statusDetails, voice: this.settings.profile.voice, model: this.settings.profile.model },
          'the first qwen response of this call had no audio: check the agent voice and model',
        );
      }
    }
    const command = this.tracker.onDone(responseId);
    const verdict = this.toolCalls.onResponseDone(responseId, event.status, event.calls);
    this.deliver({
      type: 'response_done',
      responseId,
      status,
      ...(event.statusDetails !== '' ? { statusDetails: event.statusDetails } : {}),
      ...(event.usage !== undefined ? { usage: event.usage } : {}),
    });
    if (verdict.kind === 'release') {
      for (const call of verdict.batch.calls) {
        this.deliver({ type: 'tool_call', responseId, toolCallId: call.callId, name: call.name, arguments: call.arguments });
      }
    } else if (verdict.kind === 'drop') {
      this.counters.droppedToolCalls += verdict.calls.length;
      this.log.info({ responseId, status: verdict.status, tools: verdict.calls.map((c) => c.name) }, 'tool calls of an unfinished response not run');
    }
    if (command !== undefined) this.sendCommand(command);
  }

  private dropToolCallsOf(responseId: string, status: string): void {
    const verdict = this.toolCalls.onResponseDone(responseId, status, []);
    if (verdict.kind === 'drop') this.counters.droppedToolCalls += verdict.calls.length;
  }

  /**
   * The service closes a session that hears nothing for about half a minute. While the caller
   * is on hold or the media stream pauses, a second of silence goes out now and then; it is
   * never committed, so it is not a turn.
   */
  private startKeepAlive(): void {
    const intervalMs = this.settings.keepAliveIntervalMs;
    if (intervalMs <= 0) return;
    this.lastAppendAtMs = this.settings.nowMs();
    this.keepAliveTimer = setInterval(() => {
      if (this.connection !== 'open' || this.settings.nowMs() - this.lastAppendAtMs < intervalMs) return;
      this.batcher.flush();
      this.send(keepAliveAppend());
      this.lastAppendAtMs = this.settings.nowMs();
      this.counters.keepAlivesSent += 1;
    }, Math.max(1, Math.floor(intervalMs / 3)));
    this.keepAliveTimer.unref();
  }

  private clearCreatedTimer(): void {
    if (this.createdTimer !== undefined) clearTimeout(this.createdTimer);
    this.createdTimer = undefined;
  }

  private stopTimers(): void {
    if (this.greetingCue !== undefined) clearTimeout(this.greetingCue.timer);
    this.greetingCue = undefined;
    if (this.keepAliveTimer !== undefined) clearInterval(this.keepAliveTimer);
    this.keepAliveTimer = undefined;
    this.clearCreatedTimer();
  }

  /** Arms the wait for response.created of the request just sent. */
  private armCreatedTimer(): void {
    this.clearCreatedTimer();
    const seq = this.tracker.lastRequestSeq;
    this.createdTimer = setTimeout(() => {
      this.createdTimer = undefined;
      const { expired, command } = this.tracker.expireRequest(seq);
      if (!expired) return;
      this.counters.unansweredRequests += 1;
      this.log.warn({ timeoutMs: this.settings.responseCreatedTimeoutMs }, 'qwen did not answer response.create; given up');
      // To the core this is a failed request, like a refused one (a pending greeting falls back).
      this.deliver({ type: 'error', code: 'response_create_unanswered', message: 'the service did not start the requested response' });
      if (command !== undefined) this.sendCommand(command);
    }, this.settings.responseCreatedTimeoutMs);
    this.createdTimer.unref();
  }

  private sendBatch(pcm: Int16Array): void {
    if (this.socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.counters.droppedInputSamples += pcm.length;
      this.log.debug({ bufferedBytes: this.socket.bufferedAmount }, 'caller audio dropped: socket backed up');
      return;
    }
    this.sendAppend(pcm16ToBase64(pcm));
    this.counters.sentAppends += 1;
    this.lastAppendAtMs = this.settings.nowMs();
  }

  private sendCommand(command: ResponseCommand): void {
    if (command.type === 'cancel') {
      this.send(responseCancel());
      return;
    }
    this.send(responseCreate(this.withPersona(command.instructions)));
    this.armCreatedTimer();
  }

  /**
   * Per-response instructions most likely replace the session's for that response (the Qwen
   * team's client treats them as response-scoped), so a one-off line would lose the agent's
   * persona and language. They carry the session instructions with the line added.
   */
  private withPersona(line: string | undefined): string | undefined {
    if (line === undefined) return undefined;
    return `${this.settings.profile.instructions.trimEnd()}\n\nFor this reply only: ${line}`;
  }

  private send(event: QwenClientEvent): void {
    if (this.socket.readyState !== this.socket.OPEN) {
      this.log.debug({ eventType: event.type }, 'qwen event not sent: socket not open');
      return;
    }
    if (event.type !== 'input_audio_buffer.append') this.log.debug({ eventType: event.type }, 'qwen event sent');
    this.settings.observer?.sent(event, this.settings.nowMs());
    this.socket.send(JSON.stringify({ event_id: this.nextEventId(), ...event }), (err) => {
      if (err !== undefined && err !== null) this.log.debug({ err: err.message }, 'qwen send failed');
    });
  }

  /**
   * The caller's audio, five times a second per call: the event is written as text directly
   * (base64 never needs JSON escaping, so this is what JSON.stringify would produce) rather than
   * built as an object, spread and serialised. A failed write surfaces as the socket's error and
   * close, so no per-send callback is kept.
   */
  private sendAppend(audioBase64: string): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    if (this.settings.observer !== undefined) this.settings.observer.sent(inputAudioAppend(audioBase64), this.settings.nowMs());
    this.socket.send(`{"event_id":"${this.nextEventId()}","type":"input_audio_buffer.append","audio":"${audioBase64}"}`);
  }

  /**
   * The service accepts events without an id; one per event makes a support ticket traceable.
   * A random prefix per session and a counter: unique without a random draw per event.
   */
  private nextEventId(): string {
    this.sentEvents += 1;
    return `event_${this.eventIdPrefix}${this.sentEvents.toString(36)}`;
  }
}
