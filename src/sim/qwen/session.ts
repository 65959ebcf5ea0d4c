/**
 * One simulated Qwen-Omni-Realtime session: one accepted WebSocket. It turns client events into
 * the documented server events, runs server VAD on the caller's audio, drives scripted responses,
 * and ends (at the session cap, after too long without a client event in live mode, by fault
 * injection, or when the client goes away) exactly once. Errors never end a session: each bad
 * frame gets an `error` event and the session goes on.
 */
import WebSocket from 'ws';
import type { ClientEvent, UserTextItem } from './client-events.js';
import { parseClientFrame } from './client-events.js';
import { Dialogue, type PlannedReply } from './dialogue.js';
import { FailedResponse } from './failed-response.js';
import { FaultPlan, type FaultAction, type SessionFaults } from './faults.js';
import { modelRules, type ModelRules } from './fidelity.js';
import { FunctionCallResponse } from './function-call-response.js';
import { newId } from './ids.js';
import { InputAudioBuffer, type AudioSpan } from './input-buffer.js';
import { traitsOfModel, type FamilyTraits } from './model-family.js';
import { isSendableCloseCode, type ResolvedOptions } from './options.js';
import { protocolErrors, wireError, type ProtocolError } from './protocol-error.js';
import type { ActiveResponse, EarlyEnd, ResponseEnvironment, ResponseSummary } from './responses.js';
import type { ServerEvent, ServerEventBody } from './server-events.js';
import { defaultSessionConfig, isAudioModality, sessionObject } from './session-config.js';
import type { SessionConfig, SessionObject } from './session-config.js';
import { SessionRecord, type SessionEndCause } from './session-record.js';
import { SessionTimers, type CancelTimer } from './session-timers.js';
import { INPUT_SAMPLE_RATE_HZ, type SpeechLibrary } from './speech-audio.js';
import { SpokenResponse } from './spoken-response.js';
import { transcriptionCompleted, transcriptionDeltas, transcriptionFailed } from './transcription.js';
import { UsageMeter } from './usage.js';
import { applySessionUpdate } from './validation.js';
import { EnergyVad, type VadEvent } from './vad.js';

export interface SessionDeps {
  number: number;
  model: string;
  workspaceId: string | undefined;
  options: ResolvedOptions;
  speech: SpeechLibrary;
  faults: SessionFaults;
}

/** While nobody speaks, audio older than the prefix padding plus this margin is of no use. */
const IDLE_BUFFER_MARGIN_MS = 200;

const noop: CancelTimer = () => undefined;

function frameBytes(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

export class SimulatedQwenSession {
  readonly record: SessionRecord;
  private readonly traits: FamilyTraits;
  private readonly rules: ModelRules;
  private readonly timers = new SessionTimers();
  private readonly openedAtMs = Date.now();
  private readonly conversationId = newId('conv');
  private readonly buffer = new InputAudioBuffer(INPUT_SAMPLE_RATE_HZ);
  private readonly dialogue: Dialogue;
  private readonly usage: UsageMeter;
  private readonly faultPlan: FaultPlan;
  private config: SessionConfig;
  private vad: EnergyVad | undefined;
  private speech: { itemId: string; startSample: number } | undefined;
  private active: ActiveResponse | undefined;
  private responseCount = 0;
  private autoResponseQueued = false;
  private cancelIdleTimer: CancelTimer = noop;
  private audioAppended = false;
  /** The greeting fault applies to the first response a response.create produces. */
  private greetingFaultPending: boolean;
  /** Wall clock of the last client frame, for the live idle close. */
  private lastClientEventAtMs = Date.now();
  private ended = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly deps: SessionDeps,
  ) {
    this.traits = traitsOfModel(deps.model);
    this.rules = modelRules(deps.options.fidelity, deps.model, this.traits);
    this.config = defaultSessionConfig(this.traits, this.rules.transcriptionModel);
    this.greetingFaultPending = deps.faults.greeting !== undefined;
    const { number, model, workspaceId } = deps;
    this.record = new SessionRecord(number, newId('sess'), model, workspaceId, structuredClone(this.config));
    this.dialogue = new Dialogue(deps.options.script, deps.faults.rejectUnpromptedResponseCreate);
    this.usage = new UsageMeter(this.traits);
    this.faultPlan = new FaultPlan(deps.faults, deps.options.fidelity, (action) => this.runFault(action));
    this.resetVad();
  }

  start(): void {
    this.ws.on('message', (data, isBinary) => this.onFrame(frameBytes(data), isBinary));
    this.ws.on('close', (code) => this.onSocketClosed(code));
    // A socket error is always followed by 'close'; without a listener it would crash the process.
    this.ws.on('error', () => undefined);
    this.send({ type: 'session.created', session: this.echo('created') });
    // No warning event precedes the cap (§3): the socket just closes.
    this.timers.after(this.deps.options.sessionCapMs, () =>
      this.end('session_cap', { mode: 'close', closeCode: this.deps.options.sessionCapCloseCode }),
    );
    this.faultPlan.armTimers(this.timers);
    this.armIdleClose(this.deps.options.idleCloseMs);
  }

  /** Ends the session from outside (the simulator is closing). */
  shutdown(): void {
    this.end('simulator_closed', { mode: 'terminate' });
  }

  // ── outgoing ──

  private isOpen(): boolean {
    return !this.ended && this.ws.readyState === WebSocket.OPEN;
  }

  private send(body: ServerEventBody): void {
    if (!this.isOpen()) return;
    const event: ServerEvent = { event_id: newId('event'), ...body };
    this.ws.send(JSON.stringify(event));
    // The record keeps audio deltas without their payload: hours of demo audio would pile up.
    this.record.addSent(
      event.type === 'response.audio.delta'
        ? { ...event, delta: `<${Buffer.byteLength(event.delta, 'base64')} bytes of PCM16 omitted>` }
        : event,
    );
  }

  private sendError(error: ProtocolError): void {
    this.send({ type: 'error', error: wireError(error, this.rules.fidelity) });
  }

  private get live(): boolean {
    return this.rules.fidelity === 'live';
  }

  private echo(kind: 'created' | 'updated'): SessionObject {
    const ids = { sessionId: this.record.id, model: this.deps.model };
    return sessionObject(this.config, ids, this.traits, kind, this.rules.tools === 'dropped');
  }

  /** How a response cut short ends: live mode says why in status_details (S-6). */
  private earlyEnd(reason: 'turn_detected' | 'client_cancelled'): EarlyEnd {
    const status = this.deps.options.endedEarlyStatus;
    return this.live ? { status, details: { type: status, reason } } : { status };
  }

  // ── incoming ──

  private onFrame(data: Buffer, isBinary: boolean): void {
    if (this.ended) return;
    this.lastClientEventAtMs = Date.now();
    const parsed = parseClientFrame(data, isBinary);
    const rawType = parsed.json?.type;
    const fallbackType = isBinary ? '(binary)' : parsed.json === undefined ? '(not json)' : '(no type)';
    const type = typeof rawType === 'string' ? rawType : fallbackType;
    const error = parsed.ok ? this.handle(parsed.event) : parsed.error;
    if (error) this.sendError(error);
    this.record.addReceived({
      atMs: Date.now() - this.openedAtMs,
      type,
      event: parsed.json && redactPayloads(parsed.json),
      accepted: error === undefined,
    });
    this.faultPlan.clientEventHandled(type);
  }

  /** Returns the error to send back, if the event is refused. */
  private handle(event: ClientEvent): ProtocolError | undefined {
    switch (event.type) {
      case 'session.update':
        return this.onSessionUpdate(event.session);
      case 'input_audio_buffer.append':
        this.onAppend(event.audio);
        return undefined;
      case 'input_audio_buffer.commit':
        return this.onCommit();
      case 'input_audio_buffer.clear':
        this.buffer.clear();
        this.resetVad(); // speech in progress is dropped with the audio it was in
        this.send({ type: 'input_audio_buffer.cleared' });
        return undefined;
      case 'input_image_buffer.append':
        return this.audioAppended ? undefined : protocolErrors.imageBeforeAudio();
      case 'response.create':
        return this.onResponseCreate(event.instructions);
      case 'response.cancel':
        if (!this.active) return protocolErrors.cancelNotActive();
        this.active.stop(this.earlyEnd('client_cancelled'));
        return undefined;
      case 'conversation.item.create':
        if (event.item.type === 'message') return this.onUserText(event.item);
        return this.onToolOutput(event.item.call_id, event.item.output, event.item.id);
    }
  }

  /** A user text message (S-2): taken by families that accept it in live mode, refused elsewhere. */
  private onUserText(item: UserTextItem): ProtocolError | undefined {
    if (!this.live) return protocolErrors.itemTypeNotSupported('message');
    if (!this.rules.userTextItems) return protocolErrors.itemNotSupportedByModel(this.deps.model);
    if (item.problem !== undefined) return protocolErrors.invalidUserItem(item.problem);
    const itemId = item.id ?? newId('item');
    this.sendUserItemCreated(itemId, { type: 'input_text', text: item.text });
    this.usage.addHistoryText(item.text);
    this.record.userTextItems.push(item.text);
    this.dialogue.addUserText();
    return undefined;
  }

  private onSessionUpdate(update: unknown): ProtocolError | undefined {
    const result = applySessionUpdate(this.config, update, this.traits, this.rules, this.deps.model);
    if (!result.ok) return result.error;
    const vadChanged = JSON.stringify(result.config.turn_detection) !== JSON.stringify(this.config.turn_detection);
    this.config = result.config;
    this.record.config = structuredClone(result.config);
    if (vadChanged) {
      this.resetVad();
      this.cancelIdleTimer();
    }
    const echo = this.echo('updated');
    const delayMs = this.deps.faults.sessionUpdatedDelayMs ?? 0;
    if (delayMs > 0) this.timers.after(delayMs, () => this.send({ type: 'session.updated', session: echo }));
    else this.send({ type: 'session.updated', session: echo });
    return undefined;
  }

  private resetVad(): void {
    const td = this.config.turn_detection;
    this.speech = undefined;
    // semantic_vad cannot judge meaning here; it runs the same energy detector as server_vad.
    this.vad = td
      ? new EnergyVad(
          { threshold: td.threshold, silenceDurationMs: td.silence_duration_ms, sampleRateHz: INPUT_SAMPLE_RATE_HZ },
          this.buffer.endSample,
        )
      : undefined;
  }

  private onAppend(bytes: Buffer): void {
    const samples = this.buffer.append(bytes);
    this.audioAppended = true;
    this.record.appendedAudioMs = Math.round((this.buffer.endSample * 1000) / INPUT_SAMPLE_RATE_HZ);
    if (!this.vad) return;
    for (const event of this.vad.push(samples)) {
      this.onVadEvent(event);
      if (!this.isOpen()) return;
    }
    const td = this.config.turn_detection;
    if (td && !this.vad.speaking) this.buffer.keepRecent(td.prefix_padding_ms + IDLE_BUFFER_MARGIN_MS);
  }

  private onVadEvent(event: VadEvent): void {
    const td = this.config.turn_detection;
    if (!td) return;
    if (event.type === 'speech_started') {
      const itemId = newId('item');
      this.speech = { itemId, startSample: event.startSample };
      this.cancelIdleTimer();
      this.send({ type: 'input_audio_buffer.speech_started', audio_start_ms: event.audioStartMs, item_id: itemId });
      // Barge-in (§8): the response in progress stops at once, before any further delta.
      if (this.active && td.interrupt_response) this.active.stop(this.earlyEnd('turn_detected'));
      return;
    }
    const itemId = this.speech?.itemId ?? newId('item');
    const prefixSamples = Math.round((td.prefix_padding_ms * INPUT_SAMPLE_RATE_HZ) / 1000);
    const from = (this.speech?.startSample ?? event.endSample) - prefixSamples;
    this.speech = undefined;
    this.send({ type: 'input_audio_buffer.speech_stopped', audio_end_ms: event.audioEndMs, item_id: itemId });
    this.commitUserItem(itemId, this.buffer.take(from, event.detectedAtSample), 'vad');
    if (!td.create_response) return;
    if (this.active) this.autoResponseQueued = true;
    else this.startAutoResponse();
  }

  private onCommit(): ProtocolError | undefined {
    if (this.buffer.isEmpty) return protocolErrors.commitEmpty();
    // A manual commit in the middle of detected speech ends that speech: it is the same item.
    const itemId = this.speech?.itemId ?? newId('item');
    if (this.speech) this.resetVad();
    this.commitUserItem(itemId, this.buffer.takeAll(), 'commit');
    return undefined;
  }

  private sendUserItemCreated(itemId: string, part: { type: 'input_audio' } | { type: 'input_text'; text: string }): void {
    this.send({
      type: 'conversation.item.created',
      item: { id: itemId, object: 'realtime.item', type: 'message', status: 'completed', role: 'user', content: [part] },
    });
  }

  private commitUserItem(itemId: string, span: AudioSpan, via: 'vad' | 'commit'): void {
    this.send({ type: 'input_audio_buffer.committed', item_id: itemId });
    this.sendUserItemCreated(itemId, { type: 'input_audio' });
    const transcript = this.dialogue.takeCallerTurn();
    const audioMs = this.buffer.durationMs(span);
    this.usage.addUserAudio(audioMs);
    this.record.userItems.push({ itemId, audioMs, transcript, via });
    if (this.config.input_audio_transcription) this.sendTranscription(itemId, transcript);
  }

  private sendTranscription(itemId: string, transcript: string): void {
    const fault = this.deps.faults.transcription;
    if (fault?.mode === 'failed') {
      this.send(transcriptionFailed(itemId));
      return;
    }
    const style = { stashOnly: this.live, eventType: this.deps.options.transcriptionPreviewEvent };
    for (const delta of transcriptionDeltas(itemId, transcript, style)) this.send(delta);
    const completed = transcriptionCompleted(itemId, fault?.mode === 'empty_final' ? '' : transcript);
    if (fault?.mode === 'late') this.timers.after(fault.delayMs, () => this.send(completed));
    else this.send(completed);
  }

  private onResponseCreate(instructions: string | undefined): ProtocolError | undefined {
    if (this.active) return protocolErrors.responseAlreadyActive(this.active.id);
    const greetingFault = this.greetingFaultPending ? this.deps.faults.greeting : undefined;
    this.greetingFaultPending = false;
    // Before the dialogue moves on: after an `error` or a close, nothing was answered.
    if (greetingFault === 'error') return protocolErrors.responseFailed();
    if (greetingFault === 'close') {
      this.end('fault', { mode: 'close', closeCode: 1011 });
      return undefined;
    }
    const plan = this.dialogue.planResponseCreate(instructions);
    if (plan.kind === 'reject') return protocolErrors.noInputToRespondTo();
    if (greetingFault === 'failed') {
      this.startFailedResponse(plan.reply, protocolErrors.responseFailed(), false);
      return undefined;
    }
    this.startResponse(plan.reply);
    return undefined;
  }

  private onToolOutput(callId: string, output: string, clientItemId: string | undefined): ProtocolError | undefined {
    const toolName = this.dialogue.acceptToolOutput(callId);
    // Also the answer to an output for a call whose response is not done yet (live finding #2).
    if (toolName === undefined) return protocolErrors.unknownCallId(callId);
    const itemId = clientItemId ?? newId('item');
    // Whether the service confirms the item is undocumented (§5.8); a confirmation is the safe guess.
    this.send({
      type: 'conversation.item.created',
      item: {
        id: itemId,
        object: 'realtime.item',
        type: 'function_call_output',
        status: 'completed',
        call_id: callId,
        output,
      },
    });
    this.usage.addHistoryText(output);
    this.record.toolOutputs.push({ callId, itemId, toolName, output });
    return undefined;
  }

  // ── responses ──

  private startAutoResponse(): void {
    const reply = this.dialogue.answerCallerTurn();
    if (reply) this.startResponse(reply);
  }

  private responseEnvironment(reply: PlannedReply): ResponseEnvironment {
    return {
      send: (body) => this.send(body),
      isOpen: () => this.isOpen(),
      timers: this.timers,
      timing: this.deps.options.timing,
      conversationId: this.conversationId,
      config: structuredClone(this.config),
      hooks: {
        usage: (output) => this.usage.completeResponse(this.config.instructions, output),
        onAudioDelta: (index, count) => {
          this.faultPlan.audioDeltaSent(index, count);
          this.maybeSplit(index, count, reply);
        },
        onFinished: (summary) => this.onResponseFinished(summary, reply),
      },
    };
  }

  private startResponse(reply: PlannedReply): void {
    // Live: a voice the model does not have is refused when speech would be synthesized (S-1).
    const speaks = isAudioModality(this.config) && (reply.kind === 'speech' || reply.preamble !== undefined);
    const voiceFailure = speaks ? this.rules.voiceFailure(this.config.voice) : undefined;
    if (voiceFailure !== undefined) {
      this.startFailedResponse(reply, protocolErrors.voiceNotSupported(voiceFailure), true);
      return;
    }
    this.cancelIdleTimer();
    this.responseCount++;
    const env = this.responseEnvironment(reply);
    const response =
      reply.kind === 'speech'
        ? new SpokenResponse(env, this.responseCount, {
            text: reply.speech.text,
            pcm: this.deps.speech.audioFor(reply.speech),
            source: reply.source,
          })
        : new FunctionCallResponse(env, this.responseCount, {
            calls: reply.calls,
            preamble: reply.preamble && { text: reply.preamble.text, pcm: this.deps.speech.audioFor(reply.preamble) },
            source: reply.source,
          });
    this.active = response;
    response.start();
  }

  /** The split fault (S-10): one spoken answer continues in a second, unrequested response. */
  private maybeSplit(index: number, deltaCount: number, reply: PlannedReply): void {
    const fault = this.deps.faults.splitResponse;
    if (!fault || fault.ofResponse !== index || fault.afterAudioDeltas !== deltaCount) return;
    const response = this.active;
    if (!(response instanceof SpokenResponse) || response.index !== index || !this.isOpen()) return;
    const rest = response.split();
    if (!rest || this.active !== undefined || !this.isOpen()) return;
    this.cancelIdleTimer();
    this.responseCount++;
    const continuation = new SpokenResponse(this.responseEnvironment(reply), this.responseCount, {
      ...rest,
      source: reply.source,
    });
    this.active = continuation;
    continuation.start();
  }

  private startFailedResponse(reply: PlannedReply, error: ProtocolError, sendErrorEvent: boolean): void {
    this.cancelIdleTimer();
    this.responseCount++;
    const plan = { source: reply.source, error: wireError(error, this.rules.fidelity), sendErrorEvent };
    const response = new FailedResponse(this.responseEnvironment(reply), this.responseCount, plan);
    this.active = response;
    response.start();
  }

  private onResponseFinished(summary: ResponseSummary, reply: PlannedReply): void {
    if (this.active?.id === summary.id) this.active = undefined;
    this.record.responses.push(summary);
    // Only a completed tool-call response authorises its calls (a cut or failed one does not).
    if (reply.kind === 'tool_call' && summary.status === 'completed' && summary.calls !== undefined) {
      this.dialogue.awaitToolOutputs(summary.calls, reply.afterTool);
    }
    if (this.autoResponseQueued) {
      this.autoResponseQueued = false;
      this.startAutoResponse();
      return;
    }
    if (summary.kind === 'speech' && summary.status === 'completed') this.armIdleTimer(summary);
  }

  /**
   * idle_timeout_ms (qwen3.5 + server_vad): the model re-prompts a caller who stays silent this
   * long after its audio has finished. Audio is generated faster than real time, so "finished"
   * means when real-time playout of it would end, counted from its first delta.
   */
  private armIdleTimer(summary: ResponseSummary): void {
    const td = this.config.turn_detection;
    if (!td || td.type !== 'server_vad' || td.idle_timeout_ms === undefined) return;
    if (!this.traits.supportsIdleTimeout || this.vad?.speaking) return;
    const playoutEndsAtMs = (summary.firstAudioAtMs ?? Date.now()) + summary.plannedAudioMs;
    const idleMs = this.deps.options.idleTimeoutOverrideMs ?? td.idle_timeout_ms;
    const delayMs = Math.max(0, playoutEndsAtMs - Date.now()) + idleMs;
    this.cancelIdleTimer();
    this.cancelIdleTimer = this.timers.after(delayMs, () => {
      this.cancelIdleTimer = noop;
      if (!this.active && !this.vad?.speaking) this.startResponse(this.dialogue.idleReprompt());
    });
  }

  // ── ending ──

  /**
   * Live idle close (S-5): one timer per session, re-armed for the remaining time when it fires
   * rather than reset on every frame (appends arrive ten times a second).
   */
  private armIdleClose(delayMs: number): void {
    const idleMs = this.deps.options.idleCloseMs;
    if (idleMs <= 0) return;
    this.timers.after(delayMs, () => {
      const quietMs = Date.now() - this.lastClientEventAtMs;
      if (quietMs < idleMs) {
        this.armIdleClose(idleMs - quietMs);
        return;
      }
      this.sendError(protocolErrors.idleClose(idleMs));
      this.end('idle_timeout', { mode: 'close', closeCode: 1011 });
    });
  }

  private runFault(action: FaultAction): void {
    if (action.kind === 'error') this.send({ type: 'error', error: action.error });
    else if (action.mode === 'close') this.end('fault', { mode: 'close', closeCode: action.closeCode });
    else this.end('fault', { mode: 'terminate' });
  }

  private end(cause: SessionEndCause, how: { mode: 'terminate' } | { mode: 'close'; closeCode: number }): void {
    if (this.ended) return;
    this.ended = true;
    this.timers.stopAll();
    this.active?.abandon();
    this.active = undefined;
    // A code no server may send (e.g. 1006 from a fault option) degrades to an abrupt end.
    if (how.mode === 'close' && isSendableCloseCode(how.closeCode)) {
      this.record.markEnded({ cause, code: how.closeCode });
      this.ws.close(how.closeCode);
    } else {
      // terminate(): the TCP connection ends without a close frame; the client sees 1006.
      this.record.markEnded({ cause, code: 1006 });
      this.ws.terminate();
    }
  }

  private onSocketClosed(code: number): void {
    if (this.ended) return;
    this.ended = true;
    this.timers.stopAll();
    this.active?.abandon();
    this.active = undefined;
    this.record.markEnded({ cause: 'client_closed', code });
  }
}

/** Keeps the record light: base64 payloads are replaced by their decoded sizes. */
function redactPayloads(json: Record<string, unknown>): Record<string, unknown> {
  const copy = { ...json };
  if (typeof copy.audio === 'string') {
    copy.audio_bytes = Buffer.byteLength(copy.audio, 'base64');
    delete copy.audio;
  }
  if (typeof copy.image === 'string') {
    copy.image_bytes = Buffer.byteLength(copy.image, 'base64');
    delete copy.image;
  }
  return copy;
}
