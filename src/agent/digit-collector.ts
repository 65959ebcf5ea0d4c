/**
 * Collects keypad digits for the collect_digits tool, one collection at a time per call: until
 * max_digits, the terminator key, or `timeoutMs` without a key press (restarted by each digit).
 *
 * Digits typed before the tool was called are kept briefly ("type-ahead") and count first. That
 * is what makes "ask, then collect" work on this protocol: the model asks in one response, but a
 * tool call is a response of its own that needs a trigger; callers often type at once instead of
 * saying "OK", and then the typed digits are the trigger (see digit-router.ts).
 */

export type EndedBy = 'max_digits' | 'terminator' | 'timeout';

export interface CollectRequest {
  maxDigits: number;
  /** A key that ends the entry (not part of the digits), or undefined for none. */
  terminator: string | undefined;
  /** Time allowed without a key press. */
  timeoutMs: number;
}

/** Exactly what the model receives. */
export interface Collected {
  digits: string;
  ended_by: EndedBy;
}

interface Collection {
  request: CollectRequest;
  digits: string;
  timer: NodeJS.Timeout;
  finish(endedBy: EndedBy): void;
}

export class DigitCollector {
  readonly #typeAheadMs: number;
  readonly #now: () => number;
  #active: Collection | undefined;
  #typeAhead = '';
  #typeAheadAt = 0;

  constructor(opts: { typeAheadMs: number; now?: () => number }) {
    this.#typeAheadMs = opts.typeAheadMs;
    this.#now = opts.now ?? (() => Date.now());
  }

  get collecting(): boolean {
    return this.#active !== undefined;
  }

  /** Collects one entry; digits typed ahead count first. Rejects if the call ends meanwhile. */
  collect(request: CollectRequest, signal: AbortSignal): Promise<Collected> {
    if (this.#active) return Promise.reject(new Error('already collecting digits'));
    if (signal.aborted) return Promise.reject(new Error('the call ended'));
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        clearTimeout(collection.timer);
        this.#active = undefined;
        reject(new Error('the call ended'));
      };
      const collection: Collection = {
        request,
        digits: '',
        timer: setTimeout(() => collection.finish('timeout'), request.timeoutMs),
        finish: (endedBy) => {
          clearTimeout(collection.timer);
          signal.removeEventListener('abort', onAbort);
          if (this.#active === collection) this.#active = undefined;
          resolve({ digits: collection.digits, ended_by: endedBy });
        },
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#active = collection;
      const typed = this.#takeTypeAhead();
      for (const digit of typed) if (!this.push(digit) || this.#active !== collection) break;
    });
  }

  /** Feeds a digit to the collection under way; false when there is none. */
  push(digit: string): boolean {
    const collection = this.#active;
    if (!collection) return false;
    if (digit === collection.request.terminator) {
      collection.finish('terminator');
      return true;
    }
    collection.digits += digit;
    if (collection.digits.length >= collection.request.maxDigits) collection.finish('max_digits');
    else collection.timer.refresh();
    return true;
  }

  /** True when a type-ahead run is under way (recent digits waiting for a collection). */
  get typingAhead(): boolean {
    return this.#typeAhead !== '' && this.#now() - this.#typeAheadAt <= this.#typeAheadMs;
  }

  /** Keeps a digit typed while no collection is active. */
  typeAhead(digit: string): void {
    if (!this.typingAhead) this.#typeAhead = '';
    // Bounded: a caller leaning on the keypad cannot grow it.
    if (this.#typeAhead.length < 64) this.#typeAhead += digit;
    this.#typeAheadAt = this.#now();
  }

  #takeTypeAhead(): string {
    const typed = this.typingAhead ? this.#typeAhead : '';
    this.#typeAhead = '';
    return typed;
  }
}
