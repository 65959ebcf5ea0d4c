/**
 * Stalls this process's main event loop on purpose, as a GC pause, a large JSON parse or a slow
 * synchronous tool call would: a busy-wait of `stallMs` every `everyMs`, on a fixed-rate grid.
 * `npm run bench:sip` runs one measured window with these, to show what a stalled main loop does
 * to RTP timing.
 */
export interface MainLoopStalls {
  /** Stops stalling; how many stalls ran and for how long in all. */
  stop(): { stalls: number; stalledMs: number };
}

export function startMainLoopStalls(stallMs: number, everyMs: number): MainLoopStalls {
  const origin = performance.now();
  let stalls = 0;
  let stalledMs = 0;
  let timer: NodeJS.Timeout | undefined;
  const stall = (): void => {
    const start = performance.now();
    while (performance.now() - start < stallMs) {
      // Nothing else runs on this thread meanwhile: that is the point.
    }
    stalls += 1;
    stalledMs += performance.now() - start;
    timer = setTimeout(stall, Math.max(0, origin + (stalls + 1) * everyMs - performance.now()));
  };
  timer = setTimeout(stall, everyMs);
  return {
    stop() {
      clearTimeout(timer);
      return { stalls, stalledMs };
    },
  };
}
