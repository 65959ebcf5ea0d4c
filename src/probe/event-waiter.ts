/**
 * The probe's view of the model session: every AiEvent in order, and "wait for the next one like
 * this, or give up after so long". A give-up is a finding, not an exception.
 */
import type { AiEvent } from '../call/ai-session.js';

type EventOf<T extends AiEvent['type']> = Extract<AiEvent, { type: T }>;

interface Waiter {
  match(event: AiEvent): boolean;
  resolve(event: AiEvent | undefined): void;
  timer: NodeJS.Timeout;
}

export class EventWaiter {
  readonly events: Array<{ event: AiEvent; atMs: number }> = [];
  readonly #waiters = new Set<Waiter>();

  constructor(private readonly nowMs: () => number) {}

  readonly onEvent = (event: AiEvent): void => {
    this.events.push({ event, atMs: this.nowMs() });
    for (const waiter of [...this.#waiters]) {
      if (!waiter.match(event)) continue;
      this.#waiters.delete(waiter);
      clearTimeout(waiter.timer);
      waiter.resolve(event);
    }
  };

  /** The next event of `type` passing `predicate`, or undefined after `timeoutMs`. */
  next<T extends AiEvent['type']>(type: T, timeoutMs: number, predicate: (event: EventOf<T>) => boolean = () => true): Promise<EventOf<T> | undefined> {
    return new Promise((resolve) => {
      const waiter: Waiter = {
        match: (event) => event.type === type && predicate(event as EventOf<T>),
        resolve: (event) => resolve(event as EventOf<T> | undefined),
        timer: setTimeout(() => {
          this.#waiters.delete(waiter);
          resolve(undefined);
        }, timeoutMs),
      };
      this.#waiters.add(waiter);
    });
  }

  /** Events of `type` since index `from` of `events`. */
  since<T extends AiEvent['type']>(type: T, from: number): Array<{ event: EventOf<T>; atMs: number }> {
    return this.events.slice(from).filter((e): e is { event: EventOf<T>; atMs: number } => e.event.type === type);
  }

  cancelAll(): void {
    for (const waiter of this.#waiters) {
      clearTimeout(waiter.timer);
      waiter.resolve(undefined);
    }
    this.#waiters.clear();
  }
}
