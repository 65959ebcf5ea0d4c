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
import { Framer } from '../audio/framer.js';
import type { ResamplerFactory, StreamResampler } from '../audio/resampler.js';
import type { AiConnector, AiEvent, AiSession, AiUsage } from './ai-session.js';
import { AiConnectError } from './ai-session.js';
import { CallLedger } from './call-ledger.js';
import type { CallRecord } from './call-record.js';
import { assertNever, type EndReason } from './end-reason.js';
import { CallLimits, type LimitName } from './limits.js';
import type { CallIdentity, MediaEvent, MediaLeg } from './media-leg.js';
import { AfterSpeakingRunner } from './after-speaking.js';
import { GreetingFlow } from './greeting.js';
import { Playout } from './playout.js';
import { DEFAULT_REALTIME_BUDGET, RealtimeBudget, type RealtimeBudgetSettings } from './realtime-budget.js';
import { maskedRecord, SensitiveValues } from './sensitive-values.js';
import type { AfterSpeaking, CallTools, DigitAction } from './tool-runner.js';

export const FRAME_MS = 20;

export interface CallSettings {
  /** Audio sent ahead of real time toward the caller; the most a barge-in can leave at the far end. */
  playoutLeadMs: number;
  /** Hang up when the caller has said nothing for this long after the agent finished. */
  callerSilenceMs: number;
  /** Hang up when no media frame has arrived for this long. */
  mediaTimeoutMs: number;
  /** Start the goodbye this long before the max duration. */
  wrapUpLeadMs: number;
  /** Longest wait for a goodbye / hand-off line to finish playing before acting anyway. */
  drainTimeoutMs: number;
  /** The model service closes a session after this long (Qwen: 120 min). */
  sessionCapMs: number;
  /** The call always ends at least this long before the session cap. */
  sessionCapMarginMs: number;
  /** How far the caller's audio may run ahead of real time (default DEFAULT_REALTIME_BUDGET). */
  realtimeBudget?: RealtimeBudgetSettings;
}

/**
 * Taps for call recording: PCM16 at the leg's rate, stamped with call time in milliseconds (when
 * the caller's frame arrived; when the agent's frame was sent). Arrays are only valid during the
 * call: a tap that keeps them must copy.
 */
export interface CallAudioTap {
  callerAudio(pcm: Int16Array, atMs: number): void;
  agentAudio(frame: Int16Array, atMs: number): void;
  /** The call ended: finish the recording. */
  close(): void;
}

export interface CallDeps {
  callId: string;
  identity: CallIdentity;
  profile: AgentProfile;
  leg: MediaLeg;
  connectAi: AiConnector;
  createResampler: ResamplerFactory;
  /** The agent's tools for this call: the model's tool calls, keypad digits, webhook transfer. */
  tools: CallTools;
  settings: CallSettings;
  logger: Logger;
  /** A locally played greeting (mode 'file', or the fallback of mode 'model'), preloaded. */
  greetingAudio?: { pcm: Int16Array; sampleRateHz: number };
  /** Recording taps, when the agent records calls. */
  audioTap?: CallAudioTap;
  /** Monotonic clock in milliseconds. */
  now?: () => number;
  onEnded(record: CallRecord): void;
}

export type CallState = 'starting' | 'active' | 'ending' | 'ended';

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
  readonly #playout: Playout;
  readonly #framer: Framer;
  readonly #ledger = new CallLedger();
  /** Caller audio beyond real time stops here, before the DSP, the model and the recorder. */
  readonly #uplinkBudget: RealtimeBudget;
  /** Masks what the caller typed and what the agent marks sensitive in records and logs. */
  readonly #sensitive: SensitiveValues;

  #state: CallState = 'starting';
  #closing: Promise<void> | undefined;
  #ai: AiSession | undefined;
  #up: StreamResampler | undefined;
  #down: StreamResampler | undefined;

  /** Response being generated now (between response_started and response_done). */
  #liveResponseId: string | undefined;
  /** Response whose audio was enqueued last (may still be playing after it is done). */
  #lastAudioResponseId: string | undefined;
  /** Responses cut off by a barge-in: their late audio is dropped. */
  readonly #cutResponses = new Set<string>();
  #callerSpeaking = false;
  /** On hold: caller audio (music on hold) is not sent to the model. */
  #held = false;
  /** Which model session's events count; a replaced session's late events do not. */
  #aiGeneration = 0;
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
    this.#framer = new Framer((deps.leg.sampleRateHz * FRAME_MS) / 1000);
    this.#sensitive = deps.tools.sensitive ?? new SensitiveValues();
    this.#uplinkBudget = new RealtimeBudget(deps.leg.sampleRateHz, deps.settings.realtimeBudget ?? DEFAULT_REALTIME_BUDGET, this.#now);
    this.#playout = new Playout({
      frameMs: FRAME_MS,
      leadMs: deps.settings.playoutLeadMs,
      now: this.#now,
      send: (frame) => this.#sendFrame(frame),
      onIdle: () => this.#onPlayoutIdle(),
    });
    this.#greeting = new GreetingFlow(deps.profile.greeting, deps.greetingAudio !== undefined, {
      askModel: (instructions) => this.#ai?.greet(instructions),
      playRecording: (transcript) => this.#playLocal(transcript),
      listen: () => this.#limits.arm('caller_silence', deps.settings.callerSilenceMs),
      warn: (why, fellBackTo) =>
        this.#log.warn({ why }, fellBackTo === 'recording' ? 'playing the recorded greeting instead' : 'no greeting was played'),
    });
    this.#afterSpeaking = new AfterSpeakingRunner({
      limits: this.#limits,
      drainTimeoutMs: deps.settings.drainTimeoutMs,
      whenDrained: () => this.#playout.whenDrained(),
      isActive: () => this.#state === 'active',
      leg: deps.leg,
      tools: deps.tools,
      toolContext: () => ({ callId: this.id, signal: this.#abort.signal }),
      close: (reason, detail) => this.close(reason, detail),
      tellModel: (instructions) => this.#ai?.createResponse(instructions),
      resumeAfterFailedTransfer: () => this.#limits.arm('caller_silence', deps.settings.callerSilenceMs),
      log: deps.logger,
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
   * ended because that was impossible (the end reason says why); it never rejects.
   */
  async start(): Promise<void> {
    const { settings, profile } = this.#deps;
    this.#limits.arm('media_timeout', settings.mediaTimeoutMs);
    const maxMs = Math.min(profile.maxCallDurationMs, settings.sessionCapMs - settings.sessionCapMarginMs);
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
      const generation = this.#aiGeneration;
      const ai = await this.#deps.connectAi(profile, (event) => this.#onAi(event, generation), {
        callId: this.id,
        signal: this.#abort.signal,
      });
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
      this.#ai = ai;
    } catch (err) {
      if (this.#state !== 'starting') return;
      const detail = err instanceof Error ? err.message : String(err);
      const kind = err instanceof AiConnectError ? err.kind : 'internal';
      this.#log.error({ kind, detail }, 'model session could not be opened');
      await this.close('ai_connect_failed', `${kind}: ${detail}`);
      return;
    }
    this.#state = 'active';
    this.#ledger.answered();
    this.#log.info({ agentId: profile.id, setupMs: Math.round(this.elapsedMs()) }, 'call active');
    this.#greeting.start(this.elapsedMs());
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
        if (this.#ai === undefined || this.#up === undefined) {
          this.#ledger.stats.uplinkFramesDropped += 1;
          return;
        }
        this.#ai.appendAudio(this.#up.process(pcm));
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

  #onAi(event: AiEvent, generation: number): void {
    if (generation !== this.#aiGeneration || this.#state === 'ended') return;
    const atMs = this.elapsedMs();
    if (this.#state === 'ending') {
      // Only the caller's last words may still arrive for the record.
      if (event.type === 'caller_transcript') this.#ledger.transcript.callerText(event.itemId, event.text, atMs);
      return;
    }
    switch (event.type) {
      case 'ready':
        return;
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
        this.#liveResponseId = event.responseId;
        this.#greeting.onResponseStarted(event.responseId, atMs);
        this.#limits.disarm('caller_silence');
        if (this.#followUp && this.#followUp.responseId === undefined) this.#followUp.responseId = event.responseId;
        return;
      case 'audio':
        this.#onAgentAudio(event.responseId, event.pcm, atMs);
        return;
      case 'assistant_transcript_delta':
        if (!this.#cutResponses.has(event.responseId)) this.#ledger.transcript.agentTextDelta(event.responseId, event.text, atMs);
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
      case 'closed': {
        this.#log.warn({ cause: event.cause, code: event.code, detail: event.detail }, 'model session closed');
        if (event.cause !== 'session_cap' && this.#greeting.onClosed(atMs)) {
          void this.#replaceAiAfterGreetingClose(event.detail);
          return;
        }
        const reason: EndReason = event.cause === 'session_cap' ? 'ai_session_cap' : 'ai_disconnected';
        void this.close(reason, event.detail);
        return;
      }
      default:
        assertNever(event, 'AI event');
    }
  }

  /**
   * The model dropped the session right after the greeting request: the recorded greeting is
   * already playing; one new session is tried so the call can go on. If that fails too, the call
   * ends once the recording has played.
   */
  async #replaceAiAfterGreetingClose(detail: string): Promise<void> {
    this.#ai = undefined;
    this.#liveResponseId = undefined;
    this.#down?.reset();
    const generation = ++this.#aiGeneration;
    try {
      const ai = await this.#deps.connectAi(this.profile, (event) => this.#onAi(event, generation), {
        callId: this.id,
        signal: this.#abort.signal,
      });
      if (this.#state !== 'active') {
        ai.close();
        return;
      }
      this.#ai = ai;
      this.#log.info('model session replaced after the greeting failed');
    } catch (err) {
      if (this.#state !== 'active') return;
      const why = err instanceof Error ? err.message : String(err);
      this.#log.error({ detail: why }, 'model session could not be replaced');
      await this.#afterSpeaking.run({ action: 'hangup', reason: 'ai_disconnected', detail: `${detail}; reconnect failed: ${why}` });
    }
  }

  /** Play the preloaded greeting recording through a one-off resampler. */
  #playLocal(transcript: string): void {
    const audio = this.#deps.greetingAudio;
    if (!audio) {
      this.#log.error('greeting recording missing');
      return;
    }
    const legHz = this.#deps.leg.sampleRateHz;
    void this.#deps.createResampler(audio.sampleRateHz, legHz).then((resampler) => {
      if (this.#state !== 'active') return resampler.dispose();
      this.#ledger.transcript.agentTextDone(GREETING_TAG, transcript, this.elapsedMs());
      this.#enqueue(GREETING_TAG, resampler.process(audio.pcm));
      const tail = this.#framer.flush();
      if (tail) this.#playout.enqueue(tail, GREETING_TAG);
      resampler.dispose();
    });
  }

  #onAgentAudio(responseId: string, pcm24k: Int16Array, atMs: number): void {
    if (this.#cutResponses.has(responseId) || this.#down === undefined) {
      this.#ledger.stats.lateAudioDropped += 1;
      return;
    }
    this.#greeting.onAudio(responseId);
    this.#ledger.transcript.agentAudio(responseId, (pcm24k.length / 24_000) * 1000, atMs);
    this.#enqueue(responseId, this.#down.process(pcm24k));
  }

  #enqueue(tag: string, pcm: Int16Array): void {
    this.#lastAudioResponseId = tag;
    for (const frame of this.#framer.push(pcm)) this.#playout.enqueue(frame, tag);
  }

  #sendFrame(frame: Int16Array): void {
    this.#ledger.agentFrameSent(this.elapsedMs());
    this.#deps.audioTap?.agentAudio(frame, this.elapsedMs());
    this.#deps.leg.sendAudio(frame);
  }

  /**
   * The caller started talking. If the agent is audible or about to be, stop it now: the far
   * end's buffer first (it is what the caller hears), then our queue, then the model.
   */
  #bargeIn(atMs: number): void {
    const playing = this.#playout.active;
    const live = this.#liveResponseId;
    if (!playing && live === undefined) return;
    if (playing) this.#deps.leg.clear();
    const droppedFrames = this.#playout.clear();
    this.#framer.clear();
    // The resampler holds the cut response's last few milliseconds; they must not prefix the next one.
    this.#down?.reset();
    if (live !== undefined) {
      this.#ai?.cancelResponse();
      this.#cutResponses.add(live);
    }
    const cut = playing ? this.#lastAudioResponseId : live;
    if (cut === undefined) return;
    this.#cutResponses.add(cut);
    const heardMs = this.#playout.heardMs(cut);
    this.#ledger.transcript.agentInterrupted(cut, heardMs, atMs);
    this.#ledger.bargeIn({ atMs: Math.round(atMs), responseId: cut, heardMs: Math.round(heardMs), droppedFrames });
    this.#log.info({ responseId: cut, heardMs: Math.round(heardMs), droppedFrames }, 'barge-in');
  }

  #onResponseDone(responseId: string, status: string, usage: AiUsage | undefined): void {
    if (usage) this.#ledger.addUsage(usage);
    if (this.#liveResponseId === responseId) this.#liveResponseId = undefined;
    if (!this.#cutResponses.has(responseId)) {
      // Play the response's last partial frame, padded, instead of leaving it in the framer.
      const tail = this.#framer.flush();
      if (tail) this.#playout.enqueue(tail, responseId);
    }
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
    const started = this.#now();
    let args: unknown;
    let output: string;
    let recordOutput: string | undefined;
    let then: AfterSpeaking = { action: 'none' };
    try {
      try {
        args = rawArgs.trim() === '' ? {} : JSON.parse(rawArgs.trim());
      } catch {
        // JSON.parse's message quotes the text, which may hold what the caller typed.
        throw new Error(`${name}: the arguments are not valid JSON (${rawArgs.trim().length} characters)`);
      }
      // Before the tool runs: its sensitive values must be masked in anything logged meanwhile.
      this.#sensitive.addArguments(name, args);
      this.#log.debug({ tool: name, arguments: this.#sensitive.maskArguments(name, rawArgs) }, 'tool call arguments');
      const outcome = await this.#deps.tools.run(name, args, { callId: this.id, signal: this.#abort.signal });
      output = outcome.output;
      recordOutput = outcome.recordOutput;
      then = outcome.then;
    } catch (err) {
      // The model gets a short error it can apologise for; the call carries on.
      output = JSON.stringify({ error: err instanceof Error ? err.message : String(err) });
      this.#log.warn({ tool: name, detail: this.#sensitive.maskText(output) }, 'tool failed');
    }
    if (this.#state !== 'active') return;
    const durationMs = Math.round(this.#now() - started);
    this.#ledger.toolCall({ name, arguments: rawArgs.trim(), output: recordOutput ?? output, durationMs, atMs: Math.round(atMs) });
    this.#log.info({ tool: name, durationMs, then: then.action }, 'tool call');
    if (then.action !== 'none') this.#followUp = { then };
    this.#ai?.sendToolResult(toolCallId, output);
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
    this.#ai?.createResponse(action.say);
  }

  #onPlayoutIdle(): void {
    if (!this.#callerSpeaking && this.#liveResponseId === undefined && this.#state === 'active' && !this.#afterSpeaking.transferring) {
      this.#limits.arm('caller_silence', this.#deps.settings.callerSilenceMs);
    }
  }

  #onLimit(name: LimitName): void {
    switch (name) {
      case 'wrap_up':
        // Say goodbye in the model's voice, then hang up before the service cuts the session.
        this.#log.info('max call duration near: saying goodbye');
        this.#followUp = { then: { action: 'hangup', reason: 'max_duration' } };
        this.#ai?.createResponse(this.profile.goodbyeInstructions);
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
      ['playout', () => this.#playout.close()],
      ['ai', () => {
        settling = this.#ai?.finish(TRANSCRIPT_GRACE_MS);
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
      const record = maskedRecord(this.#ledger.record({
        callId: this.id,
        identity: this.identity,
        agentId: this.profile.id,
        startedAt: this.startedAt,
        durationMs: endedBy,
        endReason: reason,
        ...(detail !== undefined ? { endDetail: detail } : {}),
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
