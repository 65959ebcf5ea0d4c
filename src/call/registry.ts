/**
 * The live calls of this process: admission (capacity, draining, unknown numbers), lookup for the
 * admin API, and typed events that metrics and call records subscribe to.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { AgentProfile } from './agent-profile.js';
import type { ResamplerFactory } from '../audio/resampler.js';
import type { AiConnector } from './ai-session.js';
import { SharedPacingClock, type PacingClock } from './pacing-clock.js';
import { Call, type CallAudioTap, type CallSettings, type RecordedLine, type UnavailableAudio } from './call.js';
import type { CallSeats, SeatAnswer } from './call-seats.js';
import type { CallRecord } from './call-record.js';
import type { EndReason } from './end-reason.js';
import type { AdmissionResult, CallIdentity, MediaLeg } from './media-leg.js';
import type { CallTools } from './tool-runner.js';

export interface ResolvedAgent {
  profile: AgentProfile;
  greetingAudio?: { pcm: Int16Array; sampleRateHz: number };
  /** Said while a lost model session is replaced, and when it cannot be. */
  lines?: { reconnect?: RecordedLine; unavailable?: RecordedLine };
  /** The agent's tools for one call (tool calls, keypad, transfer webhook); per call because
   *  digit collection has state. */
  openTools(call: { callId: string; identity: CallIdentity }): CallTools;
}

/**
 * Chooses the agent for a dialed number at a moment (business hours); undefined when no agent
 * answers it. The call keeps what this returned for its whole life, whatever reloads follow.
 */
export type AgentResolver = (dialedNumber: string, now?: Date) => ResolvedAgent | undefined;

/**
 * `model_quota`: the model account's concurrent sessions are all taken (qwen.maxConcurrentSessions);
 * `seats_unavailable`: the cluster's shared count could not be read, so the call is not risked.
 */
export type RejectReason = 'draining' | 'capacity' | 'unknown_number' | 'model_quota' | 'seats_unavailable';

export interface RegistryDeps {
  resolveAgent: AgentResolver;
  maxConcurrentCalls: number;
  settings: CallSettings;
  connectAi: AiConnector;
  createResampler: ResamplerFactory;
  logger: Logger;
  newCallId: () => string;
  /** One pacing clock for every call's playout (see pacing-clock.ts); default: one per registry. */
  pacing?: PacingClock;
  /** The apology a call plays when the model cannot be reached. */
  unavailableAudio?: UnavailableAudio;
  /** A recording tap for a new call, when recording is on for its agent. */
  createAudioTap?: (callId: string, identity: CallIdentity, agent: ResolvedAgent, sampleRateHz: number) => CallAudioTap | undefined;
  /** Model-session seats (the quota, and in a cluster the shared list of live calls); none: no quota. */
  seats?: CallSeats;
  /** The quota key of an agent's calls (its model region). */
  quotaKey?: (agent: ResolvedAgent) => string;
}

interface RegistryEvents {
  started: [Call];
  ended: [CallRecord];
  rejected: [RejectReason, CallIdentity];
}

export class CallRegistry extends EventEmitter<RegistryEvents> {
  readonly #deps: RegistryDeps;
  readonly #pacing: PacingClock;
  readonly #calls = new Map<string, Call>();
  #draining = false;
  /** Admissions waiting for a seat: they count against capacity already. */
  #admitting = 0;
  #idleWaiters: Array<() => void> = [];

  constructor(deps: RegistryDeps) {
    super();
    this.#deps = deps;
    this.#pacing = deps.pacing ?? new SharedPacingClock();
  }

  get size(): number {
    return this.#calls.size;
  }

  get draining(): boolean {
    return this.#draining;
  }

  list(): Call[] {
    return [...this.#calls.values()];
  }

  get(callId: string): Call | undefined {
    return this.#calls.get(callId);
  }

  /** Why a new call would be refused right now, if it would. */
  refusal(dialedNumber: string): RejectReason | undefined {
    if (this.#draining) return 'draining';
    if (this.#calls.size + this.#admitting >= this.#deps.maxConcurrentCalls) return 'capacity';
    if (this.#deps.resolveAgent(dialedNumber) === undefined) return 'unknown_number';
    return undefined;
  }

  /**
   * Admit a call whose media leg has identified it; starts the call in the background. Synchronous
   * unless a seat must be asked of the cluster: then the answer comes once the database has.
   */
  admit = (identity: CallIdentity, leg: MediaLeg): AdmissionResult | Promise<AdmissionResult> => {
    const refused = this.refusal(identity.to);
    const agent = refused === undefined ? this.#deps.resolveAgent(identity.to) : undefined;
    if (refused !== undefined || agent === undefined) return this.#refuse(refused ?? 'unknown_number', identity);
    const callId = this.#deps.newCallId();
    const seats = this.#deps.seats;
    if (seats === undefined) return this.#start(callId, identity, leg, agent);
    let answer: SeatAnswer | Promise<SeatAnswer>;
    try {
      answer = seats.take({
        callId,
        quotaKey: this.#deps.quotaKey?.(agent) ?? 'default',
        identity,
        agentId: agent.profile.id,
        startedAt: Date.now(),
      });
    } catch (err) {
      this.#deps.logger.error({ err }, 'model session seat not taken');
      answer = 'unavailable';
    }
    if (typeof answer === 'string') return this.#seated(answer, callId, identity, leg, agent);
    this.#admitting += 1;
    return answer.then(
      (settled) => {
        this.#admitting -= 1;
        return this.#seated(settled, callId, identity, leg, agent);
      },
      (err: unknown) => {
        this.#admitting -= 1;
        this.#deps.logger.error({ err }, 'model session seat not taken');
        return this.#seated('unavailable', callId, identity, leg, agent);
      },
    );
  };

  #seated(answer: SeatAnswer, callId: string, identity: CallIdentity, leg: MediaLeg, agent: ResolvedAgent): AdmissionResult {
    if (answer !== 'granted') return this.#refuse(answer === 'quota_full' ? 'model_quota' : 'seats_unavailable', identity);
    // A drain may have begun while the seat was being taken.
    if (this.#draining) {
      this.#deps.seats?.release(callId);
      return this.#refuse('draining', identity);
    }
    return this.#start(callId, identity, leg, agent);
  }

  #refuse(reason: RejectReason, identity: CallIdentity): AdmissionResult {
    this.#deps.logger.warn({ reason, transport: identity.transport }, 'call refused');
    this.#emitGuarded('rejected', reason, identity);
    return { accepted: false, reason };
  }

  #start(callId: string, identity: CallIdentity, leg: MediaLeg, agent: ResolvedAgent): AdmissionResult {
    const audioTap = this.#deps.createAudioTap?.(callId, identity, agent, leg.sampleRateHz);
    const call = new Call({
      callId,
      identity,
      profile: agent.profile,
      leg,
      connectAi: this.#deps.connectAi,
      createResampler: this.#deps.createResampler,
      pacing: this.#pacing,
      tools: agent.openTools({ callId, identity }),
      settings: this.#deps.settings,
      logger: this.#deps.logger.child({ callId, externalId: identity.externalId }),
      ...(agent.greetingAudio ? { greetingAudio: agent.greetingAudio } : {}),
      ...(agent.lines ? { lines: agent.lines } : {}),
      ...(audioTap ? { audioTap } : {}),
      ...(this.#deps.unavailableAudio ? { unavailableAudio: this.#deps.unavailableAudio } : {}),
      onEnded: (record) => this.#ended(record),
    });
    this.#calls.set(callId, call);
    this.#emitGuarded('started', call);
    void call.start();
    return { accepted: true, onEvent: call.onMedia };
  }

  /** Stop admitting calls. Live calls carry on. */
  drain(): void {
    this.#draining = true;
  }

  /** Resolves once no call is live. */
  whenIdle(): Promise<void> {
    if (this.#calls.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** End every live call with the given reason and wait for them to finish. */
  async hangupAll(reason: EndReason): Promise<void> {
    await Promise.all(this.list().map((call) => call.hangup(reason)));
  }

  #ended(record: CallRecord): void {
    this.#calls.delete(record.callId);
    this.#deps.seats?.release(record.callId);
    this.#emitGuarded('ended', record);
    if (this.#calls.size === 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /**
   * Like emit, but a listener that throws (or rejects) is logged and the others still run. A
   * throw from an 'ended' listener would otherwise travel back into the call's teardown: the
   * record written twice on the next close, idle waiters never told, an unhandled rejection.
   */
  #emitGuarded<K extends keyof RegistryEvents>(event: K, ...args: RegistryEvents[K]): void {
    // rawListeners: once-listeners keep their wrapper, so calling it removes them as emit would.
    for (const listener of this.rawListeners(event)) {
      try {
        const result: unknown = Reflect.apply(listener, this, args);
        if (result instanceof Promise) result.catch((err: unknown) => this.#listenerFailed(event, err));
      } catch (err) {
        this.#listenerFailed(event, err);
      }
    }
  }

  #listenerFailed(event: keyof RegistryEvents, err: unknown): void {
    this.#deps.logger.error({ event, err }, 'call registry listener failed');
  }
}
