/**
 * Sleeps this thread until the monotonic clock reaches `dueMs`, blocking (Atomics.wait on a cell
 * nobody notifies: a futex wait with a timeout, no spinning). For the RTP I/O thread only, whose
 * send clock wakes a little early and waits out the rest here (see SharedRtpClock).
 */
const cell = new Int32Array(new SharedArrayBuffer(4));

export function blockUntil(dueMs: number, now: () => number = () => performance.now()): void {
  for (let left = dueMs - now(); left > 0; left = dueMs - now()) Atomics.wait(cell, 0, 0, left);
}
