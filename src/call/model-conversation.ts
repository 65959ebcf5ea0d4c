/**
 * The call's conversation with the model: what each model event means for the call (barge-in,
 * the agent's audio, transcripts, tool calls, the line to speak before hanging up or
 * transferring), the greeting, and what the caller hears while the model session is replaced
 * underneath (model-link.ts). The Call owns the media leg, the limits and the call's lifetime;
 * this owns the talking.
 */
import type { Logger } from 'pino';
import type { AiEvent, AiSession, AiUsage } from './ai-session.js';
import { AfterSpeakingRunner } from './after-speaking.js';
import type { AgentVoice } from './agent-voice.js';
import type { CallDeps, RecordedLine } from './call-deps.js';
import type { CallLedger } from './call-ledger.js';
import { assertNever, type EndReason } from './end-reason.js';
import { GreetingFlow } from './greeting.js';
import type { CallLimits } from './limits.js';
import { ModelLink } from './model-link.js';
import type { SensitiveValues } from './sensitive-values.js';
import { runToolCall } from './tool-call.js';
import type { AfterSpeaking } from './tool-runner.js';

const GREETING_TAG = 'greeting';

/** Asked of a session that took over after an interruption. */
const RESUME_LINE =
  'The line dropped for a moment and you are back. Briefly pick up where the conversation left off. ' +
  'If you were waiting for a tool or for keypad digits, apologize and ask again.';

export interface ConversationDeps {
  call: CallDeps;
  voice: AgentVoice;
  ledger: CallLedger;
  limits: CallLimits;
  sensitive: SensitiveValues;
  /** Aborted when the call ends. */
  signal: AbortSignal;
  log: Logger;
  /** Monotonic clock, and the call's own time. */
  now(): number;
  elapsedMs(): number;
  state(): 'starting' | 'active' | 'ending' | 'ended';
  close(reason: EndReason, detail?: string): Promise<void>;
}

export class ModelConversation {
  readonly #d: ConversationDeps;
  readonly link: ModelLink;
  readonly greeting: GreetingFlow;
  readonly afterSpeaking: AfterSpeakingRunner;
  /** Set after a tool result or a goodbye request: the next response is the line to speak first. */
  #followUp: { then: AfterSpeaking; responseId?: string } | undefined;
  #callerSpeaking = false;
  #toolsInFlight = 0;
  /** The greeting fallback is playing for a session that dropped: the next one need not speak. */
  #resumeQuietly = false;

  constructor(d: ConversationDeps) {
    this.#d = d;
    const { call } = d;
    this.greeting = new GreetingFlow(call.profile.greeting, call.greetingAudio !== undefined, {
      askModel: (instructions) => this.link.session?.greet(instructions),
      playRecording: (transcript) => void this.#playRecording(GREETING_TAG, call.greetingAudio, transcript),
      listen: () => d.limits.arm('caller_silence', call.settings.callerSilenceMs),
      warn: (why, fellBackTo) =>
        d.log.warn({ why }, fellBackTo === 'recording' ? 'playing the recorded greeting instead' : 'no greeting was played'),
    });
    this.afterSpeaking = new AfterSpeakingRunner({
      limits: d.limits,
      drainTimeoutMs: call.settings.drainTimeoutMs,
      whenDrained: () => d.voice.whenDrained(),
      isActive: () => d.state() === 'active',
      leg: call.leg,
      tools: call.tools,
      toolContext: () => ({ callId: call.callId, signal: d.signal }),
      close: (reason, detail) => d.close(reason, detail),
      tellModel: (instructions) => this.link.session?.createResponse(instructions),
      resumeAfterFailedTransfer: () => d.limits.arm('caller_silence', call.settings.callerSilenceMs),
      recordTransfer: (entry) => d.ledger.transfer(entry),
      elapsedMs: () => d.elapsedMs(),
      log: d.log,
    });
    this.link = new ModelLink({
      connect: call.connectAi,
      profile: call.profile,
      callId: call.callId,
      signal: d.signal,
      settings: {
        sessionCapMs: call.settings.sessionCapMs,
        rolloverLeadMs: call.settings.rolloverLeadMs,
        rolloverMarginMs: call.settings.sessionCapMarginMs,
        reconnectAttempts: call.settings.reconnectAttempts,
        reconnectDeadlineMs: call.settings.reconnectDeadlineMs,
      },
      log: d.log,
      now: () => d.elapsedMs(),
      onEvent: (event) => this.onEvent(event),
      // What the caller said and heard (masked: it leaves the bridge again).
      primer: () => ({ turns: d.ledger.transcript.asHeard().map((t) => ({ ...t, text: d.sensitive.maskText(t.text) })) }),
      isQuiet: () => this.isQuiet(),
      onInterrupted: (why) => this.#onModelInterrupted(why),
      onResumed: () => this.#onModelResumed(),
      onGaveUp: (detail) => this.#onModelGone(detail),
    });
  }

  get session(): AiSession | undefined {
    return this.link.session;
  }

  get callerSpeaking(): boolean {
    return this.#callerSpeaking;
  }

  /** Asks the model to say `line` (keeping the persona); `then` runs once it has played. */
  say(line: string, then: AfterSpeaking): void {
    if (then.action !== 'none') this.#followUp = { then };
    this.link.session?.createResponse(line);
  }

  /** Every event of the model session in use (the link filters out replaced sessions). */
  onEvent(event: AiEvent): void {
    if (this.#d.state() === 'ended') return;
    const atMs = this.#d.elapsedMs();
    if (this.#d.state() === 'ending') {
      // Only the caller's last words may still arrive for the record.
      if (event.type === 'caller_transcript') this.#d.ledger.transcript.callerText(event.itemId, event.text, atMs);
      return;
    }
    switch (event.type) {
      case 'speech_started':
        this.#callerSpeaking = true;
        this.#d.limits.disarm('caller_silence');
        this.bargeIn(atMs);
        return;
      case 'speech_stopped':
        this.#callerSpeaking = false;
        this.#d.ledger.callerStoppedSpeaking(atMs);
        this.#d.limits.arm('caller_silence', this.#d.call.settings.callerSilenceMs);
        return;
      case 'response_started':
        this.#d.voice.responseStarted(event.responseId);
        this.greeting.onResponseStarted(event.responseId, atMs);
        this.#d.limits.disarm('caller_silence');
        if (this.#followUp && this.#followUp.responseId === undefined) this.#followUp.responseId = event.responseId;
        return;
      case 'audio':
        this.#onAgentAudio(event.responseId, event.pcm, atMs);
        return;
      case 'assistant_transcript_delta':
        if (!this.#d.voice.isCut(event.responseId)) this.#d.ledger.transcript.agentTextDelta(event.responseId, event.text, atMs);
        return;
      case 'assistant_transcript_done':
        this.#d.ledger.transcript.agentTextDone(event.responseId, event.text, atMs);
        return;
      case 'caller_transcript':
        this.#d.ledger.transcript.callerText(event.itemId, event.text, atMs);
        if (event.final) this.#d.log.debug({ text: this.#d.sensitive.maskText(event.text) }, 'caller said');
        return;
      case 'tool_call':
        void this.#runTool(event.toolCallId, event.name, event.arguments, atMs);
        return;
      case 'response_done':
        this.#onResponseDone(event.responseId, event.status, event.usage);
        this.greeting.onResponseDone(event.responseId, event.status);
        return;
      case 'error':
        this.#d.ledger.stats.aiErrors += 1;
        this.#d.log.warn({ code: event.code, detail: event.message }, 'model reported an error');
        this.greeting.onError(event.code || event.message);
        return;
      case 'config_rejected':
        // Every answer would fail the same way; a call of silence helps nobody.
        void this.#d.close('ai_rejected_config', event.detail);
        return;
      case 'ready':
      case 'closed':
        // The model link handles both: a lost session is replaced underneath the call.
        return;
      default:
        assertNever(event, 'AI event');
    }
  }

  /** The model session is gone; the link is opening a new one. The caller must not sit in silence. */
  #onModelInterrupted(why: string): void {
    if (this.#d.state() !== 'active') return;
    this.#d.voice.forgetLive();
    if (this.greeting.onClosed(this.#d.elapsedMs())) {
      // The greeting had not been heard: its recording is playing now, which says enough.
      this.#resumeQuietly = true;
      return;
    }
    this.#resumeQuietly = false;
    // What the lost session was saying stops here, as if the caller had interrupted it.
    this.#d.voice.stop(this.#d.elapsedMs(), () => undefined);
    this.#d.log.warn({ why }, 'model lost mid-call: playing the reconnect line');
    void this.#playRecording('reconnect', this.#d.call.lines?.reconnect, this.#d.call.lines?.reconnect?.transcript);
  }

  #onModelResumed(): void {
    if (this.#d.state() !== 'active' || this.#resumeQuietly || this.afterSpeaking.transferring) return;
    this.link.session?.createResponse(RESUME_LINE);
  }

  /** No new session: apologise (recorded), then hang up once it has played. */
  #onModelGone(detail: string): void {
    if (this.#d.state() !== 'active') return;
    this.#d.log.error({ detail }, 'model unavailable: ending the call with an apology');
    void this.#playRecording('unavailable', this.#unavailableLine(), this.#unavailableLine()?.transcript).then(() =>
      this.afterSpeaking.run({ action: 'hangup', reason: 'ai_reconnect_failed', detail }),
    );
  }

  /** Agent silent, caller silent, nothing pending: a session switch would go unnoticed. */
  isQuiet(): boolean {
    return (
      this.#d.state() === 'active' &&
      !this.#d.voice.playing &&
      this.#d.voice.liveResponseId === undefined &&
      !this.#callerSpeaking &&
      this.#toolsInFlight === 0 &&
      this.#followUp === undefined &&
      !this.afterSpeaking.transferring
    );
  }

  /** Plays a preloaded recording (greeting, reconnect line, apology). */
  #playRecording(tag: string, audio: { pcm: Int16Array; sampleRateHz: number } | undefined, transcript: string | undefined): Promise<void> {
    if (audio) return this.#d.voice.play(tag, audio, transcript);
    if (tag === GREETING_TAG) this.#d.log.error('greeting recording missing');
    return Promise.resolve();
  }

  #onAgentAudio(responseId: string, pcm: Int16Array, atMs: number): void {
    if (!this.#d.voice.modelAudio(responseId, pcm)) {
      this.#d.ledger.stats.lateAudioDropped += 1;
      return;
    }
    this.greeting.onAudio(responseId);
    this.link.agentAudible();
    this.#d.ledger.transcript.agentAudio(responseId, (pcm.length / this.#d.call.settings.modelAudio.outputRateHz) * 1000, atMs);
  }

  /**
   * The caller started talking. If the agent is audible or about to be, stop it now: the far
   * end's buffer first (it is what the caller hears), then our queue, then the model.
   */
  bargeIn(atMs: number): void {
    const stopped = this.#d.voice.stop(atMs, () => this.link.session?.cancelResponse());
    if (stopped === undefined) return;
    this.#d.ledger.bargeIn({ atMs: Math.round(atMs), ...stopped });
    this.#d.log.info(stopped, 'barge-in');
  }

  #onResponseDone(responseId: string, status: string, usage: AiUsage | undefined): void {
    if (usage) this.#d.ledger.addUsage(usage);
    this.#d.voice.responseDone(responseId);
    const followUp = this.#followUp;
    if (followUp?.responseId === responseId) {
      if (status === 'completed') {
        this.#followUp = undefined;
        void this.afterSpeaking.run(followUp.then);
      } else {
        // The line was cut off (barge-in): the next response carries it instead.
        followUp.responseId = undefined;
      }
    }
  }

  async #runTool(toolCallId: string, name: string, rawArgs: string, atMs: number): Promise<void> {
    const startedMs = this.#d.now();
    this.#toolsInFlight += 1;
    const context = { callId: this.#d.call.callId, signal: this.#d.signal };
    const result = await runToolCall(name, rawArgs, { tools: this.#d.call.tools, sensitive: this.#d.sensitive, log: this.#d.log, context });
    this.#toolsInFlight -= 1;
    if (this.#d.state() !== 'active') return;
    const durationMs = Math.round(this.#d.now() - startedMs);
    this.#d.ledger.toolCall({ name, arguments: rawArgs.trim(), output: result.recordOutput, durationMs, atMs: Math.round(atMs) });
    this.#d.log.info({ tool: name, durationMs, then: result.then.action }, 'tool call');
    if (result.then.action !== 'none') this.#followUp = { then: result.then };
    this.link.session?.sendToolResult(toolCallId, result.output);
  }

  /**
   * The model cannot be reached (bad key, service down, timeout): the caller hears the recorded
   * apology, then the call ends. The call stays 'starting' meanwhile: no model, no digits.
   */
  async endUnavailable(detail: string): Promise<void> {
    const audio = this.#unavailableLine();
    if (audio === undefined) return this.#d.close('ai_connect_failed', detail);
    await this.#d.voice.play('unavailable', audio, audio.transcript);
    await this.afterSpeaking.run({ action: 'hangup', reason: 'ai_connect_failed', detail });
  }

  /** The agent's own apology, else the bridge-wide one. */
  #unavailableLine(): RecordedLine | undefined {
    return this.#d.call.lines?.unavailable ?? this.#d.call.unavailableAudio;
  }
}
