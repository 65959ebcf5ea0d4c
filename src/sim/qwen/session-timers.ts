/**
 * Every timer one simulated session starts, so that closing the session (socket gone, cap reached,
 * simulator closed) cancels all of them at once and nothing fires into a dead socket.
 */

export type CancelTimer = () => void;

export class SessionTimers {
  private readonly handles = new Set<NodeJS.Timeout>();
  private stopped = false;

  after(delayMs: number, run: () => void): CancelTimer {
    if (this.stopped) return () => undefined;
    const handle = setTimeout(() => {
      this.handles.delete(handle);
      run();
    }, Math.max(0, delayMs));
    this.handles.add(handle);
    return () => {
      clearTimeout(handle);
      this.handles.delete(handle);
    };
  }

  stopAll(): void {
    this.stopped = true;
    for (const handle of this.handles) clearTimeout(handle);
    this.handles.clear();
  }
}
