/**
 * One phone call: the caller's media leg, the model session, a resampler per direction, paced
 * playout, limits and the transcript. Everything that happens to a call arrives here as a typed
 * event (`onMedia`, the AI's `onEvent`, a limit firing) and is handled synchronously, so control
 * (barge-in) always overtakes data (queued audio).
 *
 * `close(reason)` runs once and releases in reverse order of acquisition; every call ends with
 * exactly one end reason.
 */
import type { Logger } from 'pino';
import type { AgentProfile } from './agent-profile.js';
import type { StreamResampler } from '../audio/resampler.js';
import type { AiEvent, AiUsage } from './ai-session.js';
import { AiConnectError } from './ai-session.js';
import { AgentVoice } from './agent-voice.js';
import type { CallDeps, RecordedLine } from './call-deps.js';
import { CallLedger } from './call-ledger.js';
import { assertNever, type EndReason } from './end-reason.js';
import { CallLimits, type LimitName } from './limits.js';
import type { CallIdentity, MediaEvent } from './media-leg.js';
import { AfterSpeakingRunner } from './after-speaking.js';
import { GreetingFlow } from './greeting.js';
import { ModelLink } from './model-link.js';
import { DEFAULT_REALTIME_BUDGET, RealtimeBudget } from './realtime-budget.js';
import { maskedRecord, SensitiveValues } from './sensitive-values.js';
import { runToolCall } from './tool-call.js';
import type { AfterSpeaking, DigitAction } from './tool-runner.js';

export { FRAME_MS } from './agent-voice.js';
export type { CallAudioTap, CallDeps, CallSettings, RecordedLine, UnavailableAudio } from './call-deps.js';

export type CallState = 'starting' | 'active' | 'ending' | 'ended';

/** Asked of a session that took over after an interruption. */
const RESUME_LINE =
  'The line dropped for a moment and you are back. Briefly pick up where the conversation left off. ' +
  'If you were waiting for a tool or for keypad digits, apologize and ask again.';

/** How long an ended call waits for the caller's last transcript before its record is written. */
export const TRANSCRIPT_GRACE_MS = 1_500;

const GREETING_TAG = 'greeting';

export class Call {
  readonly id: string;
  readonly identity: CallIdentity;
  readonly profile: AgentProfile;
  readonly startedAt = Date.now();

  readonly #deps: CallDeps;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #t0: number;
  readonly #abort = new AbortController();
  readonly #limits: CallLimits;
  readonly #voice: AgentVoice;
  readonly #ledger = new CallLedger();
  /** Caller audio beyond real time stops here, before the DSP, the model and the recorder. */
  readonly #uplinkBudget: RealtimeBudget;
  /** Masks what the caller typed and what the agent marks sensitive in records and logs. */
  readonly #sensitive: SensitiveValues;

  #state: CallState = 'starting';
  #closing: Promise<void> | undefined;
  readonly #link: ModelLink;
  /** The greeting fallback is playing for a session that dropped: the next one need not speak. */
  #resumeQuietly = false;
  #toolsInFlight = 0;
  #up: StreamResampler | undefined;
  #down: StreamResampler | undefined;
  #callerSpeaking = false;
  /** On hold: caller audio (music on hold) is not sent to the model. */
  #held = false;
  readonly #greeting: GreetingFlow;
  /** Set after a tool result or a goodbye request: the next response is the line to speak first. */
  #followUp: { then: AfterSpeaking; responseId?: string } | undefined;
  readonly #afterSpeaking: AfterSpeakingRunner;

  constructor(deps: CallDeps) {
    this.#deps = deps;
    this.id = deps.callId;
    this.identity = deps.identity;
    this.profile = deps.profile;
    this.#log = deps.logger;
    this.#now = deps.now ?? (() => performance.now());
    this.#t0 = this.#now();
    this.#limits = new CallLimits((name) => this.#onLimit(name));
    this.#sensitive = deps.tools.sensitive ?? new SensitiveValues();
    this.#uplinkBudget = new RealtimeBudget(deps.leg.sampleRateHz, deps.settings.realtimeBudget ?? DEFAULT_REALTIME_BUDGET, this.#now);
    this.#voice = new AgentVoice({
      leg: deps.leg,
      leadMs: deps.settings.playoutLeadMs,
      now: this.#now,
      createResampler: deps.createResampler,
      transcript: this.#ledger.transcript,
      log: deps.logger,
      atMs: () => this.elapsedMs(),
      // 'starting' too: the apology when the model cannot be reached plays before the call is up.
      isActive: () => this.#state === 'active' || this.#state === 'starting',
      onFrame: (frame) => {
        this.#ledger.agentFrameSent(this.elapsedMs());
        deps.audioTap?.agentAudio(frame, this.elapsedMs());
      },
      onIdle: () => this.#onPlayoutIdle(),
    });
    this.#greeting = new GreetingFlow(deps.profile.greeting, deps.greetingAudio !== undefined, {
      askModel: (instructions) => this.#link.session?.greet(instructions),
      playRecording: (transcript) => void this.#playRecording(GREETING_TAG, deps.greetingAudio, transcript),
      listen: () => this.#limits.arm('caller_silence', deps.settings.callerSilenceMs),
      warn: (why, fellBackTo) =>
        this.#log.warn({ why }, fellBackTo === 'recording' ? 'playing the recorded greeting instead' : 'no greeting was played'),
    });
    this.#afterSpeaking = new AfterSpeakingRunner({
      limits: this.#limits,
      drainTimeoutMs: deps.settings.drainTimeoutMs,
      whenDrained: () => this.#voice.whenDrained(),
      isActive: () => this.#state === 'active',
      leg: deps.leg,
      tools: deps.tools,
      toolContext: () => ({ callId: this.id, signal: this.#abort.signal }),
      close: (reason, detail) => this.close(reason, detail),
      tellModel: (instructions) => this.#link.session?.createResponse(instructions),
      resumeAfterFailedTransfer: () => this.#limits.arm('caller_silence', deps.settings.callerSilenceMs),
      recordTransfer: (entry) => this.#ledger.transfer(entry),
      elapsedMs: () => this.elapsedMs(),
      log: deps.logger,
    });
    this.#link = new ModelLink({
      connect: deps.connectAi,
      profile: deps.profile,
      callId: deps.callId,
      signal: this.#abort.signal,
      settings: {
        sessionCapMs: deps.settings.sessionCapMs,
        rolloverLeadMs: deps.settings.rolloverLeadMs,
        rolloverMarginMs: deps.settings.sessionCapMarginMs,
        reconnectAttempts: deps.settings.reconnectAttempts,
        reconnectDeadlineMs: deps.settings.reconnectDeadlineMs,
      },
      log: deps.logger,
      now: () => this.elapsedMs(),
      onEvent: (event) => this.#onAi(event),
      // What the caller said and heard (masked: it leaves the bridge again).
      primer: () => ({ turns: this.#ledger.transcript.asHeard().map((t) => ({ ...t, text: this.#sensitive.maskText(t.text) })) }),
      isQuiet: () => this.#isQuiet(),
      onInterrupted: (why) => this.#onModelInterrupted(why),
      onResumed: () => this.#onModelResumed(),
      onGaveUp: (detail) => this.#onModelGone(detail),
    });
  }

  get state(): CallState {
    return this.#state;
  }

  /** Milliseconds since the call started. */
  elapsedMs(): number {
    return this.#now() - this.#t0;
  }

  /**
   * Open the model session and the resamplers. Resolves once the call is active, or once it has
   * ended (or is playing its apology before ending) because that was impossible (the end reason
   * says why); it never rejects.
   */
  async start(): Promise<void> {
    const { settings, profile } = this.#deps;
    this.#limits.arm('media_timeout', settings.mediaTimeoutMs);
    // Not bounded by the model's session cap: sessions are rolled over underneath the call.
    const maxMs = profile.maxCallDurationMs;
    this.#limits.arm('max_duration', maxMs);
    this.#limits.arm('wrap_up', Math.max(0, maxMs - settings.wrapUpLeadMs));

    const legHz = this.#deps.leg.sampleRateHz;
    try {
      // Resamplers first: the model session delivers events as soon as it resolves, and the
      // downlink must exist by then. (FIR creation is instant; libsamplerate's blocks anyway.)
      const up = await this.#deps.createResampler(legHz, 16_000);
      const down = await this.#deps.createResampler(24_000, legHz);
      this.#up = up;
      this.#down = down;
      this.#voice.downResampler = down;
      const ai = await this.#link.open();
      if (this.#state !== 'starting') {
        // The call ended while we were connecting.
        ai.close();
        return;
      }
      if (ai.inputRateHz !== 16_000 || ai.outputRateHz !== 24_000) {
        // Rates are part of the port so a future model with other rates fails loudly here.
        ai.close();
        throw new Error(`unsupported model audio rates ${ai.inputRateHz}/${ai.outputRateHz}`);
      }
    } catch (err) {
      if (this.#state !== 'starting') return;
      const detail = err instanceof Error ? err.message : String(err);
      const kind = err instanceof AiConnectError ? err.kind : 'internal';
      this.#log.error({ kind, detail }, 'model session could not be opened');
      // Not awaited: start() resolves while the apology plays; the call ends after it.
      void this.#endUnavailable(`${kind}: ${detail}`);
      return;
    }
    this.#state = 'active';
    this.#ledger.answered();
    this.#log.info({ agentId: profile.id, setupMs: Math.round(this.elapsedMs()) }, 'call active');
    this.#greeting.start(this.elapsedMs());
  }

  /**
   * The model cannot be reached (bad key, service down, timeout): the caller hears the recorded
   * apology, then the call ends. The call stays 'starting' meanwhile: no model, no digits.
   */
  async #endUnavailable(detail: string): Promise<void> {
    const audio = this.#unavailableLine();
    if (audio === undefined) return this.close('ai_connect_failed', detail);
    await this.#voice.play('unavailable', audio, audio.transcript);
    await this.#afterSpeaking.run({ action: 'hangup', reason: 'ai_connect_failed', detail });
  }

  /** The agent's own apology, else the bridge-wide one. */
  #unavailableLine(): RecordedLine | undefined {
    return this.#deps.lines?.unavailable ?? this.#deps.unavailableAudio;
  }

  /** Sink for the media leg's events. */
  onMedia = (event: MediaEvent): void => {
    if (this.#state === 'ending' || this.#state === 'ended') return;
    switch (event.type) {
      case 'audio': {
        this.#ledger.stats.uplinkFrames += 1;
        this.#limits.refresh('media_timeout');
        const pcm = this.#uplinkBudget.take(event.pcm);
        if (this.#uplinkBudget.overrun) {
          void this.close('media_overrun', `caller audio kept arriving at least twice real time; ${Math.round(this.#uplinkBudget.droppedMs)} ms dropped`);
          return;
        }
        if (pcm === undefined) return;
        this.#deps.audioTap?.callerAudio(pcm, this.elapsedMs());
        // On hold the caller hears music and we hear it back: not something to answer. The model
        // adapter keeps the idle session open with silence meanwhile.
        if (this.#held) return;
        const ai = this.#link.session;
        if (ai === undefined || this.#up === undefined) {
          this.#ledger.stats.uplinkFramesDropped += 1;
          return;
        }
        ai.appendAudio(this.#up.process(pcm));
        return;
      }
      case 'dtmf':
        this.#onDigit(event.digit);
        return;
      case 'mark':
        return;
      case 'hold':
        this.#log.info({ held: event.held }, event.held ? 'call on hold' : 'call resumed');
        this.#held = event.held;
        if (event.held) this.#limits.disarm('media_timeout');
        else this.#limits.arm('media_timeout', this.#deps.settings.mediaTimeoutMs);
        return;
      case 'hangup':
        void this.close('caller_hangup', event.detail);
        return;
      case 'protocol_error':
        this.#log.warn({ detail: event.detail }, 'media protocol error');
        void this.close('protocol_error', event.detail);
        return;
      default:
        assertNever(event, 'media event');
    }
  };

  /** End the call from outside (admin API, shutdown). */
  hangup(reason: EndReason, detail?: string): Promise<void> {
    return this.close(reason, detail);
  }

  close(reason: EndReason, detail?: string): Promise<void> {
    return (this.#closing ??= this.#teardown(reason, detail));
  }

  #onAi(event: AiEvent): void {
    if (this.#state === 'ended') return;
    const atMs = this.elapsedMs();
    if (this.#state === 'ending') {
      // Only the caller's last words may still arrive for the record.
      if (event.type === 'caller_transcript') this.#ledger.transcript.callerText(event.itemId, event.text, atMs);
      return;
    }
    switch (event.type) {
      case 'speech_started':
        this.#callerSpeaking = true;
        this.#limits.disarm('caller_silence');
        this.#bargeIn(atMs);
        return;
      case 'speech_stopped':
        this.#callerSpeaking = false;
        this.#ledger.callerStoppedSpeaking(atMs);
        this.#limits.arm('caller_silence', this.#deps.settings.callerSilenceMs);
        return;
      case 'response_started':
        this.#voice.responseStarted(event.responseId);
        this.#greeting.onResponseStarted(event.responseId, atMs);
        this.#limits.disarm('caller_silence');
        if (this.#followUp && this.#followUp.responseId === undefined) this.#followUp.responseId = event.responseId;
        return;
      case 'audio':
        this.#onAgentAudio(event.responseId, event.pcm, atMs);
        return;
      case 'assistant_transcript_delta':
        if (!this.#voice.isCut(event.responseId)) this.#ledger.transcript.agentTextDelta(event.responseId, event.text, atMs);
        return;
      case 'assistant_transcript_done':
        this.#ledger.transcript.agentTextDone(event.responseId, event.text, atMs);
        return;
      case 'caller_transcript':
        this.#ledger.transcript.callerText(event.itemId, event.text, atMs);
        if (event.final) this.#log.debug({ text: this.#sensitive.maskText(event.text) }, 'caller said');
        return;
      case 'tool_call':
        void this.#runTool(event.toolCallId, event.name, event.arguments, atMs);
        return;
      case 'response_done':
        this.#onResponseDone(event.responseId, event.status, event.usage);
        this.#greeting.onResponseDone(event.responseId, event.status);
        return;
      case 'error':
        this.#ledger.stats.aiErrors += 1;
        this.#log.warn({ code: event.code, detail: event.message }, 'model reported an error');
        this.#greeting.onError(event.code || event.message);
        return;
      case 'config_rejected':
        // Every answer would fail the same way; a call of silence helps nobody.
        void this.close('ai_rejected_config', event.detail);
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
    if (this.#state !== 'active') return;
    this.#voice.forgetLive();
    if (this.#greeting.onClosed(this.elapsedMs())) {
      // The greeting had not been heard: its recording is playing now, which says enough.
      this.#resumeQuietly = true;
      return;
    }
    this.#resumeQuietly = false;
    // What the lost session was saying stops here, as if the caller had interrupted it.
    this.#voice.stop(this.elapsedMs(), () => undefined);
    this.#log.warn({ why }, 'model lost mid-call: playing the reconnect line');
    void this.#playRecording('reconnect', this.#deps.lines?.reconnect, this.#deps.lines?.reconnect?.transcript);
  }

  #onModelResumed(): void {
    if (this.#state !== 'active' || this.#resumeQuietly || this.#afterSpeaking.transferring) return;
    this.#link.session?.createResponse(RESUME_LINE);
  }

  /** No new session: apologise (recorded), then hang up once it has played. */
  #onModelGone(detail: string): void {
    if (this.#state !== 'active') return;
    this.#log.error({ detail }, 'model unavailable: ending the call with an apology');
    void this.#playRecording('unavailable', this.#unavailableLine(), this.#unavailableLine()?.transcript).then(() =>
      this.#afterSpeaking.run({ action: 'hangup', reason: 'ai_reconnect_failed', detail }),
    );
  }

  /** Agent silent, caller silent, nothing pending: a session switch would go unnoticed. */
  #isQuiet(): boolean {
    return (
      this.#state === 'active' &&
      !this.#voice.playing &&
      this.#voice.liveResponseId === undefined &&
      !this.#callerSpeaking &&
      this.#toolsInFlight === 0 &&
      this.#followUp === undefined &&
      !this.#afterSpeaking.transferring
    );
  }

  /** Plays a preloaded recording (greeting, reconnect line, apology). */
  #playRecording(tag: string, audio: { pcm: Int16Array; sampleRateHz: number } | undefined, transcript: string | undefined): Promise<void> {
    if (audio) return this.#voice.play(tag, audio, transcript);
    if (tag === GREETING_TAG) this.#log.error('greeting recording missing');
    return Promise.resolve();
  }

  #onAgentAudio(responseId: string, pcm24k: Int16Array, atMs: number): void {
    if (!this.#voice.modelAudio(responseId, pcm24k)) {
      this.#ledger.stats.lateAudioDropped += 1;
      return;
    }
    this.#greeting.onAudio(responseId);
    this.#link.agentAudible();
    this.#ledger.transcript.agentAudio(responseId, (pcm24k.length / 24_000) * 1000, atMs);
  }

  /**
   * The caller started talking. If the agent is audible or about to be, stop it now: the far
   * end's buffer first (it is what the caller hears), then our queue, then the model.
   */
  #bargeIn(atMs: number): void {
    const stopped = this.#voice.stop(atMs, () => this.#link.session?.cancelResponse());
    if (stopped === undefined) return;
    this.#ledger.bargeIn({ atMs: Math.round(atMs), ...stopped });
    this.#log.info(stopped, 'barge-in');
  }

  #onResponseDone(responseId: string, status: string, usage: AiUsage | undefined): void {
    if (usage) this.#ledger.addUsage(usage);
    this.#voice.responseDone(responseId);
    const followUp = this.#followUp;
    if (followUp?.responseId === responseId) {
      if (status === 'completed') {
        this.#followUp = undefined;
        void this.#afterSpeaking.run(followUp.then);
      } else {
        // The line was cut off (barge-in): the next response carries it instead.
        followUp.responseId = undefined;
      }
    }
  }

  async #runTool(toolCallId: string, name: string, rawArgs: string, atMs: number): Promise<void> {
    const startedMs = this.#now();
    this.#toolsInFlight += 1;
    const context = { callId: this.id, signal: this.#abort.signal };
    const result = await runToolCall(name, rawArgs, { tools: this.#deps.tools, sensitive: this.#sensitive, log: this.#log, context });
    this.#toolsInFlight -= 1;
    if (this.#state !== 'active') return;
    const durationMs = Math.round(this.#now() - startedMs);
    this.#ledger.toolCall({ name, arguments: rawArgs.trim(), output: result.recordOutput, durationMs, atMs: Math.round(atMs) });
    this.#log.info({ tool: name, durationMs, then: result.then.action }, 'tool call');
    if (result.then.action !== 'none') this.#followUp = { then: result.then };
    this.#link.session?.sendToolResult(toolCallId, result.output);
  }

  /**
   * Digits go to the agent's digit sink (digit collection, keypad map); the call only carries out
   * what it returns. Digit values are not logged: they are often account numbers or PINs.
   */
  #onDigit(digit: string): void {
    this.#log.debug('dtmf received');
    if (this.#state !== 'active' || this.#afterSpeaking.transferring) return;
    // A key press is the caller doing something: not silence.
    if (this.#limits.isArmed('caller_silence')) this.#limits.arm('caller_silence', this.#deps.settings.callerSilenceMs);
    const action = this.#deps.tools.digits?.onDigit(digit);
    if (action) this.#onDigitAction(action);
  }

  #onDigitAction(action: DigitAction): void {
    // A key press interrupts the agent the way speech does.
    this.#bargeIn(this.elapsedMs());
    if (action.say === undefined) {
      void this.#afterSpeaking.run(action.then);
      return;
    }
    if (action.then.action !== 'none') this.#followUp = { then: action.then };
    this.#link.session?.createResponse(action.say);
  }

  #onPlayoutIdle(): void {
    this.#link.quietMoment();
    if (!this.#callerSpeaking && this.#voice.liveResponseId === undefined && this.#state === 'active' && !this.#afterSpeaking.transferring) {
      this.#limits.arm('caller_silence', this.#deps.settings.callerSilenceMs);
    }
  }

  #onLimit(name: LimitName): void {
    switch (name) {
      case 'wrap_up':
        // Say goodbye in the model's voice, then hang up before the service cuts the session.
        this.#log.info('max call duration near: saying goodbye');
        this.#followUp = { then: { action: 'hangup', reason: 'max_duration' } };
        this.#link.session?.createResponse(this.profile.goodbyeInstructions);
        return;
      case 'max_duration':
        void this.close('max_duration');
        return;
      case 'caller_silence':
        void this.close('caller_silence');
        return;
      case 'media_timeout':
        void this.close('media_timeout', `no media for ${this.#deps.settings.mediaTimeoutMs} ms`);
        return;
      case 'drain_timeout':
        this.#afterSpeaking.drainLimitFired();
        return;
      case 'transfer_timeout':
        this.#afterSpeaking.transferLimitFired();
        return;
      default:
        assertNever(name, 'limit');
    }
  }

  #teardown(reason: EndReason, detail?: string): Promise<void> {
    this.#state = 'ending';
    const endedBy = this.elapsedMs();
    let settling: Promise<void> | undefined;
    // Reverse order of acquisition; each step guarded so one failure cannot skip the rest.
    const steps: Array<[string, () => void]> = [
      ['limits', () => this.#limits.stop()],
      ['abort', () => this.#abort.abort()],
      ['playout', () => this.#voice.close()],
      ['ai', () => {
        settling = this.#link.session?.finish(TRANSCRIPT_GRACE_MS);
        this.#link.close();
      }],
      ['leg', () => this.#deps.leg.close(reason)],
      ['recording', () => this.#deps.audioTap?.close()],
      ['resamplers', () => {
        this.#up?.dispose();
        this.#down?.dispose();
      }],
    ];
    for (const [what, step] of steps) {
      try {
        step();
      } catch (err) {
        this.#log.error({ what, err }, 'teardown step failed');
      }
    }
    const writeRecord = (): void => {
      this.#state = 'ended';
      this.#ledger.stats.uplinkOverBudgetMs = Math.round(this.#uplinkBudget.droppedMs);
      this.#ledger.stats.reconnects = this.#link.reconnects;
      this.#ledger.stats.rollovers = this.#link.rollovers;
      this.#ledger.stats.failedReconnects = this.#link.failedAttempts;
      const record = maskedRecord(this.#ledger.record({
        callId: this.id,
        identity: this.identity,
        agentId: this.profile.id,
        startedAt: this.startedAt,
        durationMs: endedBy,
        endReason: reason,
        ...(detail !== undefined ? { endDetail: detail } : {}),
        modelSessions: this.#link.records,
      }), this.#sensitive);
      this.#log.info({ reason, detail: record.endDetail, durationMs: record.durationMs }, 'call ended');
      this.#deps.onEnded(record);
    };
    if (settling === undefined) {
      writeRecord();
      return Promise.resolve();
    }
    // The caller is gone already; only the record waits for the last transcript.
    return settling.catch(() => undefined).then(writeRecord);
  }
}
