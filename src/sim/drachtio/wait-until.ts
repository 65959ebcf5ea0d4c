/**
 * Waiting on simulator state without sleeping: every state change calls `changed()`, and each
 * waiter re-runs its probe. A waiter that is never satisfied fails after a short timeout with a
 * message saying what it waited for, so a broken flow fails fast instead of at the test timeout.
 */

export const DEFAULT_WAIT_MS = 2_000;

interface Waiter {
  probe: () => boolean;
  stop: () => void;
}

export class ChangeSignal {
  private readonly waiters = new Set<Waiter>();

  until<T>(probe: () => T | undefined, what: string, timeoutMs = DEFAULT_WAIT_MS): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const first = probe();
      if (first !== undefined) {
        resolve(first);
        return;
      }
      const waiter: Waiter = {
        probe: () => {
          const value = probe();
          if (value === undefined) return false;
          clearTimeout(timer);
          resolve(value);
          return true;
        },
        stop: () => clearTimeout(timer),
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  changed(): void {
    for (const waiter of [...this.waiters]) {
      if (waiter.probe()) this.waiters.delete(waiter);
    }
  }

  /**
   * Forgets every waiter and stops its timer (the simulator is closing). Their promises stay
   * pending rather than rejecting, so an abandoned wait cannot surface as an unhandled rejection.
   */
  clear(): void {
    for (const waiter of this.waiters) waiter.stop();
    this.waiters.clear();
  }
}
