/**
 * Lines about traffic an outsider controls (refused upgrades, streams that never start) must not
 * let that outsider grow the log at wire speed: each kind of line is written at most `perWindow`
 * times per window; the rest are counted, and the next line written carries how many were left
 * out (`suppressed`). Metrics count every event; the log only has to show that it happens.
 */
export class LogSampler {
  readonly #perWindow: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  readonly #windows = new Map<string, { startMs: number; written: number; suppressed: number }>();

  constructor(opts: { perWindow: number; windowMs: number; now?: () => number }) {
    this.#perWindow = opts.perWindow;
    this.#windowMs = opts.windowMs;
    this.#now = opts.now ?? (() => performance.now());
  }

  /**
   * Whether to write a line of this kind now; when yes, `suppressed` is how many were left out
   * since the last one written.
   */
  take(kind: string): { write: false } | { write: true; suppressed: number } {
    const now = this.#now();
    let window = this.#windows.get(kind);
    if (window === undefined || now - window.startMs >= this.#windowMs) {
      const carried = window?.suppressed ?? 0;
      window = { startMs: now, written: 0, suppressed: carried };
      this.#windows.set(kind, window);
    }
    if (window.written >= this.#perWindow) {
      window.suppressed += 1;
      return { write: false };
    }
    window.written += 1;
    const suppressed = window.suppressed;
    window.suppressed = 0;
    return { write: true, suppressed };
  }
}
