/**
 * Seats: a live call's hold on a model session. The model account allows so many concurrent
 * realtime sessions per region (qwen.maxConcurrentSessions); a call takes a seat at admission and
 * gives it back when it ends, so a call beyond the quota is refused before it is answered instead
 * of being connected to a model that will not take it.
 *
 * One process counts its own seats (LocalSeats); a cluster counts them in PostgreSQL, where taking
 * one is a round trip (src/cluster/postgres-seats.ts), hence the answer may be a promise.
 */
import type { CallIdentity } from './media-leg.js';

export interface SeatRequest {
  callId: string;
  /** What the quota is counted per: the model region the call's agent uses. */
  quotaKey: string;
  identity: CallIdentity;
  agentId: string;
  startedAt: number;
}

/** `unavailable`: the count could not be taken (the shared database did not answer). */
export type SeatAnswer = 'granted' | 'quota_full' | 'unavailable';

export interface CallSeats {
  take(request: SeatRequest): SeatAnswer | Promise<SeatAnswer>;
  /** The call ended (or was refused after all): its seat is free. Never throws. */
  release(callId: string): void;
}

/** Seats counted in this process: synchronous, exact for one process. */
export class LocalSeats implements CallSeats {
  readonly #max: number;
  readonly #holders = new Map<string, string>();
  readonly #counts = new Map<string, number>();

  /** `max` per quota key; 0: no limit. */
  constructor(max: number) {
    this.#max = max;
  }

  inUse(quotaKey: string): number {
    return this.#counts.get(quotaKey) ?? 0;
  }

  take(request: SeatRequest): SeatAnswer {
    const used = this.inUse(request.quotaKey);
    if (this.#max > 0 && used >= this.#max) return 'quota_full';
    this.#holders.set(request.callId, request.quotaKey);
    this.#counts.set(request.quotaKey, used + 1);
    return 'granted';
  }

  release(callId: string): void {
    const key = this.#holders.get(callId);
    if (key === undefined) return;
    this.#holders.delete(callId);
    this.#counts.set(key, this.inUse(key) - 1);
  }
}
