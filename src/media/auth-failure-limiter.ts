/**
 * Failed authentications per source address, as a token bucket: an address may fail `burst`
 * times, then once per `1 / perMinute` minutes. While its bucket is empty, its upgrades are
 * refused (HTTP 429) before any credential is looked at, so guessing the media token from one
 * address runs at `perMinute` guesses at most. A success does not refill the bucket: an attacker
 * holding one valid credential learns nothing new from it anyway.
 *
 * IPv6 addresses are keyed by their /64 (one host usually owns a whole /64). Memory is bounded:
 * past `maxSources` the oldest address is forgotten.
 *
 * Behind a reverse proxy every upgrade comes from the proxy's address, so one attacker would lock
 * out every carrier: disable this there (burst 0) and rate-limit at the proxy.
 */

export interface AuthFailureLimits {
  /** Failures an address may have before it is limited; 0 turns limiting off. */
  burst: number;
  /** Failures per minute an address regains. */
  perMinute: number;
  maxSources?: number;
}

interface Bucket {
  tokens: number;
  atMs: number;
}

const DEFAULT_MAX_SOURCES = 10_000;

export class AuthFailureLimiter {
  readonly #limits: AuthFailureLimits;
  readonly #now: () => number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(limits: AuthFailureLimits, now: () => number = () => performance.now()) {
    this.#limits = limits;
    this.#now = now;
  }

  /** True when this address has used up its failures: refuse without checking credentials. */
  limited(address: string | undefined): boolean {
    if (this.#limits.burst === 0) return false;
    const bucket = this.#refilled(sourceKey(address));
    return bucket !== undefined && bucket.tokens < 1;
  }

  /** Seconds until the address may try again (for Retry-After). */
  retryAfterSeconds(address: string | undefined): number {
    const bucket = this.#refilled(sourceKey(address));
    if (bucket === undefined || bucket.tokens >= 1) return 0;
    return Math.ceil(((1 - bucket.tokens) * 60) / Math.max(this.#limits.perMinute, 1e-9));
  }

  failed(address: string | undefined): void {
    if (this.#limits.burst === 0) return;
    const key = sourceKey(address);
    const bucket = this.#refilled(key) ?? { tokens: this.#limits.burst, atMs: this.#now() };
    bucket.tokens = Math.max(0, bucket.tokens - 1);
    // Re-insert: Map order is then least recently failed first, which is what eviction wants.
    this.#buckets.delete(key);
    this.#buckets.set(key, bucket);
    if (this.#buckets.size > (this.#limits.maxSources ?? DEFAULT_MAX_SOURCES)) {
      const oldest = this.#buckets.keys().next().value;
      if (oldest !== undefined) this.#buckets.delete(oldest);
    }
  }

  /** Addresses currently tracked (for tests and a sanity check on memory). */
  get sources(): number {
    return this.#buckets.size;
  }

  #refilled(key: string): Bucket | undefined {
    const bucket = this.#buckets.get(key);
    if (bucket === undefined) return undefined;
    const now = this.#now();
    bucket.tokens = Math.min(this.#limits.burst, bucket.tokens + ((now - bucket.atMs) / 60_000) * this.#limits.perMinute);
    bucket.atMs = now;
    if (bucket.tokens >= this.#limits.burst) {
      // Fully recovered: nothing to remember.
      this.#buckets.delete(key);
      return undefined;
    }
    return bucket;
  }
}

function sourceKey(address: string | undefined): string {
  if (address === undefined) return '?';
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (!v4.includes(':')) return v4;
  // IPv6: expand '::', keep the first four groups (the /64).
  const [headText = '', tailText] = v4.split('::');
  const head = headText === '' ? [] : headText.split(':');
  const tail = tailText === undefined || tailText === '' ? [] : tailText.split(':');
  const groups = tailText === undefined ? head : [...head, ...Array<string>(Math.max(0, 8 - head.length - tail.length)).fill('0'), ...tail];
  return `${groups
    .slice(0, 4)
    .map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
