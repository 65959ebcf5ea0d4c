/**
 * How late the send clock ran its slots: for each slot, when its work started and when it was
 * done, relative to the slot's due time on the 20 ms grid. Kept as a histogram (0.05 ms buckets
 * up to 100 ms), so recording allocates nothing and costs the same at any uptime. The benchmark
 * reads it to tell the bridge's own lateness from the noise of the process that receives its
 * packets.
 */
const BUCKET_MS = 0.05;
const BUCKETS = 2000;

export interface SlotTimingSummary {
  slots: number;
  /** The slot's work began (its first packet went out right after). */
  startLateP50Ms: number;
  startLateP99Ms: number;
  startLateMaxMs: number;
  /** The slot's work was done: every stream's packet handed to its socket. */
  doneLateP50Ms: number;
  doneLateP99Ms: number;
  doneLateMaxMs: number;
}

class LatenessHistogram {
  readonly #counts = new Uint32Array(BUCKETS);
  #total = 0;
  #max = 0;

  record(lateMs: number): void {
    const late = Math.max(0, lateMs);
    this.#counts[Math.min(BUCKETS - 1, Math.floor(late / BUCKET_MS))]! += 1;
    this.#total += 1;
    this.#max = Math.max(this.#max, late);
  }

  get total(): number {
    return this.#total;
  }

  get max(): number {
    return this.#max;
  }

  /** The upper edge of the bucket holding the q-quantile (NaN when empty). */
  quantile(q: number): number {
    if (this.#total === 0) return Number.NaN;
    const rank = Math.ceil(q * this.#total);
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i]!;
      if (seen >= rank) return Math.min(this.#max, (i + 1) * BUCKET_MS);
    }
    return this.#max;
  }

  reset(): void {
    this.#counts.fill(0);
    this.#total = 0;
    this.#max = 0;
  }
}

export class SlotTiming {
  readonly #start = new LatenessHistogram();
  readonly #done = new LatenessHistogram();

  record(startLateMs: number, doneLateMs: number): void {
    this.#start.record(startLateMs);
    this.#done.record(doneLateMs);
  }

  summary(): SlotTimingSummary {
    return {
      slots: this.#start.total,
      startLateP50Ms: this.#start.quantile(0.5),
      startLateP99Ms: this.#start.quantile(0.99),
      startLateMaxMs: this.#start.max,
      doneLateP50Ms: this.#done.quantile(0.5),
      doneLateP99Ms: this.#done.quantile(0.99),
      doneLateMaxMs: this.#done.max,
    };
  }

  reset(): void {
    this.#start.reset();
    this.#done.reset();
  }
}
