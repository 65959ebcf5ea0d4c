/**
 * One phone call: the caller's media leg, the conversation with the model (model-conversation.ts),
 * a resampler per direction, what the caller hears (agent-voice.ts), limits and the record.
 * Everything that happens to a call arrives as a typed event (`onMedia`, the model's events, a
 * limit firing) and is handled synchronously, so control (barge-in) always overtakes data.
 *
 * `close(reason)` runs once and releases in reverse order of acquisition; every call ends with
 * exactly one end reason.
 */
import type { Logger } from 'pino';
import type { AgentProfile } from './agent-profile.js';
import type { StreamResampler } from '../audio/resampler.js';
import { AiConnectError } from './ai-session.js';
import { AgentVoice } from './agent-voice.js';
import type { CallDeps } from './call-deps.js';
import { CallLedger } from './call-ledger.js';
import { assertNever, type EndReason } from './end-reason.js';
import { CallLimits, type LimitName } from './limits.js';
import type { CallIdentity, MediaEvent } from './media-leg.js';
import { ModelConversation } from './model-conversation.js';
import { DEFAULT_REALTIME_BUDGET, RealtimeBudget } from './realtime-budget.js';
import { maskedRecord, SensitiveValues } from './sensitive-values.js';
import type { DigitAction } from './tool-runner.js';

export { FRAME_MS } from './agent-voice.js';
export type { CallAudioTap, CallDeps, CallSettings, RecordedLine, UnavailableAudio } from './call-deps.js';

export type CallState = 'starting' | 'active' | 'ending' | 'ended';

/** How long an ended call waits for the caller's last transcript before its record is written. */
export const TRANSCRIPT_GRACE_MS = 1_500;

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
  readonly #conv: ModelConversation;
  #up: StreamResampler | undefined;
  #down: StreamResampler | undefined;
  /** On hold: caller audio (music on hold) is not sent to the model. */
  #held = false;

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
      pacing: deps.pacing,
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
    this.#conv = new ModelConversation({
      call: deps,
      voice: this.#voice,
      ledger: this.#ledger,
      limits: this.#limits,
      sensitive: this.#sensitive,
      signal: this.#abort.signal,
      log: deps.logger,
      now: this.#now,
      elapsedMs: () => this.elapsedMs(),
      state: () => this.#state,
      close: (reason, detail) => this.close(reason, detail),
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
      const { inputRateHz, outputRateHz } = this.#deps.settings.modelAudio;
      const up = await this.#deps.createResampler(legHz, inputRateHz);
      const down = await this.#deps.createResampler(outputRateHz, legHz);
      this.#up = up;
      this.#down = down;
      this.#voice.downResampler = down;
      const ai = await this.#conv.link.open();
      if (this.#state !== 'starting') {
        // The call ended while we were connecting.
        ai.close();
        return;
      }
      if (ai.inputRateHz !== inputRateHz || ai.outputRateHz !== outputRateHz) {
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
      void this.#conv.endUnavailable(`${kind}: ${detail}`);
      return;
    }
    this.#state = 'active';
    this.#ledger.answered();
    this.#log.info({ agentId: profile.id, setupMs: Math.round(this.elapsedMs()) }, 'call active');
    this.#conv.greeting.start(this.elapsedMs());
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
        const ai = this.#conv.session;
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
      case 'media_failed':
        this.#log.error({ detail: event.detail }, 'media path failed');
        void this.close('media_failed', event.detail);
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

  /**
   * Digits go to the agent's digit sink (digit collection, keypad map); the call only carries out
   * what it returns. Digit values are not logged: they are often account numbers or PINs.
   */
  #onDigit(digit: string): void {
    this.#log.debug('dtmf received');
    if (this.#state !== 'active' || this.#conv.afterSpeaking.transferring) return;
    // A key press is the caller doing something: not silence.
    if (this.#limits.isArmed('caller_silence')) this.#limits.arm('caller_silence', this.#deps.settings.callerSilenceMs);
    const action = this.#deps.tools.digits?.onDigit(digit);
    if (action) this.#onDigitAction(action);
  }

  #onDigitAction(action: DigitAction): void {
    // A key press interrupts the agent the way speech does.
    this.#conv.bargeIn(this.elapsedMs());
    if (action.say === undefined) {
      void this.#conv.afterSpeaking.run(action.then);
      return;
    }
    this.#conv.say(action.say, action.then);
  }

  #onPlayoutIdle(): void {
    this.#conv.link.quietMoment();
    if (!this.#conv.callerSpeaking && this.#voice.liveResponseId === undefined && this.#state === 'active' && !this.#conv.afterSpeaking.transferring) {
      this.#limits.arm('caller_silence', this.#deps.settings.callerSilenceMs);
    }
  }

  #onLimit(name: LimitName): void {
    switch (name) {
      case 'wrap_up':
        // Say goodbye in the model's voice, then hang up before the service cuts the session.
        this.#log.info('max call duration near: saying goodbye');
        this.#conv.say(this.profile.goodbyeInstructions, { action: 'hangup', reason: 'max_duration' });
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
        this.#conv.afterSpeaking.drainLimitFired();
        return;
      case 'transfer_timeout':
        this.#conv.afterSpeaking.transferLimitFired();
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
        settling = this.#conv.link.session?.finish(TRANSCRIPT_GRACE_MS);
        this.#conv.link.close();
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
      this.#ledger.stats.reconnects = this.#conv.link.reconnects;
      this.#ledger.stats.rollovers = this.#conv.link.rollovers;
      this.#ledger.stats.failedReconnects = this.#conv.link.failedAttempts;
      const record = maskedRecord(this.#ledger.record({
        callId: this.id,
        identity: this.identity,
        agentId: this.profile.id,
        startedAt: this.startedAt,
        durationMs: endedBy,
        endReason: reason,
        ...(detail !== undefined ? { endDetail: detail } : {}),
        modelSessions: this.#conv.link.records,
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
