/**
 * The messages between `npm run bench:flood` (which hosts the bridge and measures its CPU) and its
 * child process (the Qwen simulator and every caller, so their CPU is not counted).
 */

export interface FloodReady {
  kind: 'ready';
  simUrl: string;
  apiKey: string;
}

export interface GapSummary {
  /** Healthy calls measured. */
  calls: number;
  /** Worst gap between agent frames at any healthy caller in the window. */
  maxGapMs: number;
  /** Median over calls of each call's worst gap. */
  medianMaxGapMs: number;
  /** Agent frames the healthy callers received in the window. */
  frames: number;
}

export interface FloodCalls {
  /** Connect healthy callers and wait until each hears the agent. */
  connectHealthy: { request: { url: string; calls: number }; result: { connected: number } };
  /** Start timing the healthy callers' agent frames. */
  startWindow: { request: null; result: null };
  /** Stop timing: the worst gaps since startWindow. */
  endWindow: { request: null; result: GapSummary };
  /** Caller audio the n-th model session (1-based) received. */
  modelInput: { request: { session: number }; result: { ms: number } };
  /** One stream floods until the bridge closes it (or maxWallMs). Run by the attacker child. */
  flood: {
    request: { url: string; maxWallMs: number };
    result: { offeredAudioMs: number; wallMs: number; closeCode?: number; closeReason?: string };
  };
  /** Open authenticated connections that never send `start`; resolves once all have closed. */
  idleBurst: {
    request: { url: string; connections: number; timeoutMs: number };
    result: { opened: number; openMs: number; closeCodes: Record<string, number> };
  };
  /** Healthy callers hang up. */
  hangup: { request: null; result: { modelInputMs: number[]; sentMs: number[] } };
}
