/**
 * The call's connection to the model: one session at a time, replaceable underneath the call.
 * The call owns the conversation; a session is only where it currently runs.
 *
 * - A session that drops (not closed by us) is replaced: new sessions are tried with backoff,
 *   within a number of attempts and a deadline, each primed with the conversation so far. A
 *   refused key, quota or configuration is not retried. When nothing works the call is told to
 *   give up (it apologises and hangs up).
 * - Before the service's session cap, the next session is opened in the background at a quiet
 *   moment and switched to between turns, so the caller notices nothing. If no quiet moment comes
 *   before the hard margin, the switch happens anyway, like a drop.
 * - Every session the call used is kept for the record: its id, why it ended, and the gap the
 *   caller experienced before the agent could be heard again.
 */
import type { Logger } from 'pino';
import type { AgentProfile } from './agent-profile.js';
import { AiConnectError, type AiConnector, type AiEvent, type AiSession, type ConversationPrimer } from './ai-session.js';
import type { ModelSessionRecord } from './call-record.js';

export interface ModelLinkSettings {
  /** The service closes a session after this long (Qwen: 120 min). */
  sessionCapMs: number;
  /** Look for a quiet moment to switch sessions from this long before the cap. */
  rolloverLeadMs: number;
  /** Switch anyway this long before the cap. */
  rolloverMarginMs: number;
  /** New sessions tried after a drop, and the time they may take together. */
  reconnectAttempts: number;
  reconnectDeadlineMs: number;
}

export interface ModelLinkDeps {
  connect: AiConnector;
  profile: AgentProfile;
  callId: string;
  /** Aborted when the call ends. */
  signal: AbortSignal;
  settings: ModelLinkSettings;
  log: Logger;
  /** Call time in milliseconds. */
  now(): number;
  /** Events of the session in use (a replaced session's late events never arrive here). */
  onEvent(event: AiEvent): void;
  /** The conversation so far, for a session that takes over. */
  primer(): ConversationPrimer;
  /** Agent silent, caller silent, nothing pending: a session can be switched unnoticed. */
  isQuiet(): boolean;
  /** The session is gone and a new one is being opened: the caller should hear something. */
  onInterrupted(why: string): void;
  /** A new session took over after an interruption (not after a quiet roll-over). */
  onResumed(): void;
  /** Every attempt failed: the call cannot go on. */
  onGaveUp(detail: string): void;
}

type SessionEnd = ModelSessionRecord['end'];

/** Not worth another attempt: the service refused us, not the network. */
const FINAL_KINDS = new Set(['auth', 'quota', 'rejected_config']);
const FIRST_RETRY_MS = 250;
/** How often a quiet moment is looked for inside the roll-over window. */
const QUIET_POLL_MS = 1_000;

export class ModelLink {
  readonly #deps: ModelLinkDeps;
  #session: AiSession | undefined;
  #generation = 0;
  readonly #records: ModelSessionRecord[] = [];
  #current: ModelSessionRecord | undefined;
  /** Set while a new session is being opened after an interruption: when the gap began. */
  #gapFromMs: number | undefined;
  #next: { session: AiSession; generation: number } | undefined;
  #preparing = false;
  readonly #timers = new Set<NodeJS.Timeout>();
  #closed = false;
  reconnects = 0;
  rollovers = 0;
  failedAttempts = 0;

  constructor(deps: ModelLinkDeps) {
    this.#deps = deps;
  }

  /** The session in use; undefined while none is (before the first, between a drop and a new one). */
  get session(): AiSession | undefined {
    return this.#session;
  }

  /** Every session so far, for the record. */
  get records(): readonly ModelSessionRecord[] {
    return this.#records;
  }

  /** Opens the first session; rejects like the connector (the call ends as ai_connect_failed). */
  async open(): Promise<AiSession> {
    const generation = ++this.#generation;
    const session = await this.#deps.connect(this.#deps.profile, (event) => this.#onEvent(event, generation), {
      callId: this.#deps.callId,
      signal: this.#deps.signal,
    });
    this.#use(session, generation);
    return session;
  }

  /** The call is over: close the sessions not in use; the one in use is the call's to finish. */
  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#next?.session.close();
    this.#next = undefined;
    this.#end('call_ended');
  }

  /** A quiet moment may have come (playout drained, caller silent): switch now if one is due. */
  quietMoment(): void {
    if (this.#next !== undefined && this.#deps.isQuiet()) this.#switchToNext();
  }

  #use(session: AiSession, generation: number): void {
    this.#session = session;
    this.#generation = generation;
    const openedAtMs = this.#deps.now();
    this.#current = { sessionId: session.sessionId, openedAtMs: Math.round(openedAtMs), end: 'in_use' };
    this.#records.push(this.#current);
    this.#armRollover(openedAtMs);
  }

  #end(end: SessionEnd, detail?: string): void {
    const current = this.#current;
    if (current === undefined || current.end !== 'in_use') return;
    current.end = end;
    current.endedAtMs = Math.round(this.#deps.now());
    if (detail !== undefined) current.detail = detail;
  }

  #onEvent(event: AiEvent, generation: number): void {
    if (generation !== this.#generation) return;
    // After the call ended, the session in use is only finishing: its last caller transcripts count.
    if (this.#closed && event.type !== 'caller_transcript') return;
    if (event.type === 'ready') return;
    if (event.type === 'closed') {
      void this.#replace(event.cause === 'session_cap' ? 'session_cap' : 'dropped', event.detail);
      return;
    }
    this.#deps.onEvent(event);
  }

  /** Model audio arrived: the first after an interruption ends the gap (recorded lines do not count). */
  agentAudible(): void {
    if (this.#gapFromMs === undefined || this.#current === undefined || this.#current.end !== 'in_use') return;
    this.#current.callerGapMs = Math.round(this.#deps.now() - this.#gapFromMs);
    this.#gapFromMs = undefined;
  }

  async #replace(end: SessionEnd, detail: string): Promise<void> {
    this.#end(end, detail);
    this.#session = undefined;
    this.#generation += 1; // late events of the old session no longer count
    this.#next?.session.close();
    this.#next = undefined;
    this.#gapFromMs = this.#deps.now();
    this.#deps.log.warn({ end, detail }, 'model session lost: opening a new one');
    this.#deps.onInterrupted(end);
    const deadlineMs = this.#deps.now() + this.#deps.settings.reconnectDeadlineMs;
    let lastError = detail;
    for (let attempt = 1; attempt <= this.#deps.settings.reconnectAttempts && !this.#closed; attempt++) {
      const generation = ++this.#generation;
      const remainingMs = deadlineMs - this.#deps.now();
      if (remainingMs <= 0) break;
      try {
        const session = await this.#deps.connect(this.#deps.profile, (event) => this.#onEvent(event, generation), {
          callId: this.#deps.callId,
          signal: AbortSignal.any([this.#deps.signal, AbortSignal.timeout(Math.max(1, Math.ceil(remainingMs)))]),
          primer: this.#deps.primer(),
        });
        if (this.#closed) {
          session.close();
          return;
        }
        this.reconnects += 1;
        this.#use(session, generation);
        this.#deps.log.info({ attempt }, 'model session replaced');
        this.#deps.onResumed();
        return;
      } catch (err) {
        if (this.#closed) return;
        this.failedAttempts += 1;
        lastError = err instanceof Error ? err.message : String(err);
        this.#deps.log.warn({ attempt, detail: lastError }, 'new model session failed');
        if (err instanceof AiConnectError && FINAL_KINDS.has(err.kind)) break;
        const delayMs = Math.min(FIRST_RETRY_MS * 2 ** (attempt - 1) * (1 + Math.random()), Math.max(0, deadlineMs - this.#deps.now()));
        await this.#sleep(delayMs);
      }
    }
    if (this.#closed) return;
    this.#gapFromMs = undefined;
    this.#deps.onGaveUp(`model session ${end} (${detail}); no new session: ${lastError}`);
  }

  // ── roll-over before the cap ──

  #armRollover(openedAtMs: number): void {
    const { sessionCapMs, rolloverLeadMs, rolloverMarginMs } = this.#deps.settings;
    const generation = this.#generation;
    const elapsed = (): number => this.#deps.now() - openedAtMs;
    this.#after(Math.max(0, sessionCapMs - rolloverLeadMs - elapsed()), () => {
      if (generation === this.#generation) void this.#prepareNext(generation);
    });
    this.#after(Math.max(0, sessionCapMs - rolloverMarginMs - elapsed()), () => {
      if (generation !== this.#generation || this.#closed) return;
      if (this.#next !== undefined) {
        this.#switchToNext();
        return;
      }
      // No quiet moment came (or the next session is not ready): switch anyway, like a drop.
      this.#deps.log.warn('session cap near and no quiet moment: switching sessions now');
      this.#session?.close();
      void this.#replace('rolled_over', 'session cap near, no quiet moment');
    });
  }

  /** Opens the next session in the background, then waits for a quiet moment to switch. */
  async #prepareNext(forGeneration: number): Promise<void> {
    if (this.#preparing || this.#closed) return;
    this.#preparing = true;
    const generation = this.#generation + 1000; // not current until switched to
    try {
      const session = await this.#deps.connect(this.#deps.profile, (event) => this.#onEvent(event, generation), {
        callId: this.#deps.callId,
        signal: this.#deps.signal,
        primer: this.#deps.primer(),
      });
      if (this.#closed || forGeneration !== this.#generation) {
        session.close();
        return;
      }
      this.#next = { session, generation };
      this.#pollQuiet(forGeneration);
    } catch (err) {
      this.failedAttempts += 1;
      this.#deps.log.warn(
        { detail: err instanceof Error ? err.message : String(err) },
        'next model session failed; the switch will be forced at the margin',
      );
    } finally {
      this.#preparing = false;
    }
  }

  #pollQuiet(forGeneration: number): void {
    if (this.#next === undefined || forGeneration !== this.#generation) return;
    if (this.#deps.isQuiet()) {
      this.#switchToNext();
      return;
    }
    this.#after(QUIET_POLL_MS, () => this.#pollQuiet(forGeneration));
  }

  #switchToNext(): void {
    const next = this.#next;
    if (next === undefined) return;
    this.#next = undefined;
    const old = this.#session;
    this.#end('rolled_over');
    this.#generation = next.generation;
    old?.close();
    this.rollovers += 1;
    this.#use(next.session, next.generation);
    if (this.#current !== undefined && this.#gapFromMs === undefined) this.#current.callerGapMs = 0;
    this.#deps.log.info('model session rolled over before the cap');
  }

  #after(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    timer.unref();
    this.#timers.add(timer);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.#after(ms, resolve));
  }
}
