/**
 * One timer driving many periodic senders on absolute due times (a fixed-rate schedule, as a
 * carrier sends media): an occurrence that runs late does not push the later ones back, and the
 * senders are spread over the period by their first due time instead of firing together.
 */

export interface ScheduledTask {
  /** Runs the occurrence due at `dueMs`; returns when the next one is due, or undefined to stop. */
  run(dueMs: number): number | undefined;
}

/** Occurrences one task may run per wake-up, so a task that fell behind cannot hog the loop. */
const MAX_CATCH_UP = 5;
/** An occurrence this late means the driver itself, not the system under test, delayed the load. */
const LATE_MS = 5;

export class FixedRateSchedule {
  readonly #due = new Map<ScheduledTask, number>();
  #timer: NodeJS.Timeout | undefined;
  #lateRuns = 0;
  #maxLateMs = 0;

  /** Occurrences that ran more than LATE_MS after their due time. */
  get lateRuns(): number {
    return this.#lateRuns;
  }

  get maxLateMs(): number {
    return this.#maxLateMs;
  }

  resetStats(): void {
    this.#lateRuns = 0;
    this.#maxLateMs = 0;
  }

  add(task: ScheduledTask, firstDueMs: number): void {
    this.#due.set(task, firstDueMs);
    this.#arm();
  }

  remove(task: ScheduledTask): void {
    this.#due.delete(task);
  }

  stop(): void {
    this.#due.clear();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #wake = (): void => {
    this.#timer = undefined;
    const now = performance.now();
    for (const [task, firstDue] of this.#due) {
      let due: number | undefined = firstDue;
      for (let ran = 0; due !== undefined && due <= now && ran < MAX_CATCH_UP; ran++) {
        const lateMs = now - due;
        if (lateMs > LATE_MS) this.#lateRuns += 1;
        this.#maxLateMs = Math.max(this.#maxLateMs, lateMs);
        due = task.run(due);
      }
      // run() may have removed its task (its socket closed); that must stick.
      if (due === undefined) this.#due.delete(task);
      else if (this.#due.has(task)) this.#due.set(task, due);
    }
    this.#arm();
  };

  #arm(): void {
    if (this.#timer !== undefined || this.#due.size === 0) return;
    let earliest = Number.POSITIVE_INFINITY;
    for (const due of this.#due.values()) earliest = Math.min(earliest, due);
    this.#timer = setTimeout(this.#wake, Math.max(0, earliest - performance.now()));
  }
}
