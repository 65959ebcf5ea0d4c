/**
 * The clock that paces what callers hear: one timer for every call's playout in the process.
 *
 * Each playout used to keep its own timer, re-armed for every 20 ms frame: fifty calls meant
 * 2,500 timer callbacks a second, each one scheduling the next. With one clock, a tick walks the
 * playouts that have something to send or to finish, and a call with nothing to play is not
 * subscribed at all. Ticks sit on a fixed grid from the first subscription (tick n is due at
 * origin + n × tickMs) and each timeout is computed to the next boundary, so a late tick is
 * followed by a short one and lateness never accumulates. A tick that comes very late runs once:
 * a playout catches up by itself (it sends whatever its lead allows at that moment).
 *
 * The timer runs only while someone is subscribed, so an idle process (or a test) has none.
 */
export interface PacingClock {
  /** Calls `onTick` on every tick until the returned function is called. */
  subscribe(onTick: () => void): () => void;
}

/** Half a frame: a playout's lead and the end of a run are noticed within 10 ms. */
export const PACING_TICK_MS = 10;

export class SharedPacingClock implements PacingClock {
  readonly tickMs: number;
  readonly #now: () => number;
  /** Replaced, never mutated, so a tick can iterate while playouts come and go. */
  #listeners: Array<() => void> = [];
  #timer: NodeJS.Timeout | undefined;
  #originMs = 0;
  #lastTick = 0;

  constructor(opts: { tickMs?: number; now?: () => number } = {}) {
    this.tickMs = opts.tickMs ?? PACING_TICK_MS;
    this.#now = opts.now ?? (() => performance.now());
  }

  get subscribers(): number {
    return this.#listeners.length;
  }

  subscribe(onTick: () => void): () => void {
    this.#listeners = [...this.#listeners, onTick];
    if (this.#timer === undefined) {
      this.#originMs = this.#now();
      this.#lastTick = 0;
      this.#schedule();
    }
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      this.#listeners = this.#listeners.filter((l) => l !== onTick);
      if (this.#listeners.length === 0 && this.#timer !== undefined) {
        clearTimeout(this.#timer);
        this.#timer = undefined;
      }
    };
  }

  #schedule(): void {
    const now = this.#now();
    // The next boundary after now; ticks missed while the loop was busy are not replayed.
    const due = Math.max(this.#lastTick + 1, Math.floor((now - this.#originMs) / this.tickMs) + 1);
    this.#lastTick = due;
    this.#timer = setTimeout(this.#tick, Math.max(1, this.#originMs + due * this.tickMs - now));
  }

  #tick = (): void => {
    this.#timer = undefined;
    let failure: unknown;
    let failed = false;
    for (const listener of this.#listeners) {
      // One call's bug must not silence every other call; it still surfaces after the tick.
      try {
        listener();
      } catch (err) {
        if (!failed) failure = err;
        failed = true;
      }
    }
    if (this.#listeners.length > 0 && this.#timer === undefined) this.#schedule();
    if (failed) throw failure;
  };
}
