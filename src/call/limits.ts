/**
 * A call's deadlines as one cancellable set. Each limit is a named one-shot timer; the call
 * decides what firing means. Re-arming a limit on every media frame uses `refresh()`, which
 * reschedules without allocating (it runs 50 times a second per call).
 */
export type LimitName =
  /** Time to say goodbye before the max duration (and the model's session cap) is reached. */
  | 'wrap_up'
  /** Hard end of the call. */
  | 'max_duration'
  /** Nobody spoke for too long after the agent finished. */
  | 'caller_silence'
  /** No media frame arrived for too long. */
  | 'media_timeout'
  /** A hang-up or goodbye is waiting for playout to drain; don't wait forever. */
  | 'drain_timeout'
  /** A transfer is under way (REFER or webhook) and has not reported an outcome. */
  | 'transfer_timeout';

export class CallLimits {
  readonly #timers = new Map<LimitName, NodeJS.Timeout>();
  readonly #onFire: (name: LimitName) => void;
  #stopped = false;

  constructor(onFire: (name: LimitName) => void) {
    this.#onFire = onFire;
  }

  /** Arm (or re-arm from now) the named limit. */
  arm(name: LimitName, delayMs: number): void {
    if (this.#stopped) return;
    this.disarm(name);
    const timer = setTimeout(() => {
      this.#timers.delete(name);
      this.#onFire(name);
    }, Math.max(0, delayMs));
    this.#timers.set(name, timer);
  }

  /** Restart an armed limit's full delay from now; arms nothing if it is not armed. */
  refresh(name: LimitName): void {
    this.#timers.get(name)?.refresh();
  }

  disarm(name: LimitName): void {
    const timer = this.#timers.get(name);
    if (timer !== undefined) clearTimeout(timer);
    this.#timers.delete(name);
  }

  isArmed(name: LimitName): boolean {
    return this.#timers.has(name);
  }

  stop(): void {
    this.#stopped = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}
