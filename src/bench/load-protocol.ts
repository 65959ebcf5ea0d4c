/**
 * The messages between the benchmark (which hosts the bridge or the plain relay and measures its
 * CPU) and the load driver child process (which hosts the callers and the fake model, so that
 * their CPU is not counted). Plain JSON over the Node IPC channel (child-rpc.ts).
 */
import type { RpcReply, RpcRequest } from './child-rpc.js';

/** What sits between the callers and the fake model: the bridge, the floor baseline (floor-bridge.ts) or the plain relay. */
export const LOAD_TARGETS = ['bridge', 'floor', 'relay'] as const;
export type LoadTarget = (typeof LOAD_TARGETS)[number];

export interface OpenCallsRequest {
  /** Fork endpoint, `ws://127.0.0.1:PORT/media/twilio?token=…`. */
  url: string;
  calls: number;
  /**
   * Open calls one at a time and link each to its model session, which path latency needs.
   * Unpaired calls are opened all at once (the call-start measurement).
   */
  paired: boolean;
  /** Once every call is up, send one 20 ms caller frame per call on a fixed 20 ms schedule. */
  media: boolean;
  /** Answer response.create with continuous spoken responses; otherwise with an empty one. */
  stream: boolean;
  target: LoadTarget;
  /**
   * 16 kHz samples the bridge's uplink resampler holds back (libsamplerate's lookahead; 0 for the
   * FIR), so the fake model can tell which caller frame completed each append.
   */
  upHoldBackSamples: number;
  timeoutMs: number;
}

export interface OpenCallsResult {
  /** Callers connected. */
  opened: number;
  /** Calls whose model session became ready (the call went active). */
  active: number;
  /** Calls the bridge ended before they went active (their socket closed). */
  failed: number;
  /** First connection to the last call settled (active or failed). */
  elapsedMs: number;
}

/** Traffic counted while measuring, to check that the load was what it claims to be. */
export interface LoadCounters {
  framesSent: number;
  /** input_audio_buffer.append events (bridge) or forwarded media frames (relay) at the model. */
  uplinkMessagesAtModel: number;
  /** Uplink messages whose completing caller frame could not be identified. */
  uplinkUnmatched: number;
  deltasSent: number;
  responsesStarted: number;
  /** Responses whose first audio had not reached the caller when the next one started. */
  responsesUnheard: number;
  audioMessagesAtCaller: number;
  /** Sends the driver made more than 5 ms late (its own loop was busy): the load was burstier. */
  scheduleLateRuns: number;
  /** How late the driver's schedule ran, worst case. */
  scheduleMaxLateMs: number;
}

export interface CollectResult {
  /** Caller frame sent → the model received the uplink message it completed. */
  upLatenciesMs: number[];
  /** First audio delta of a response sent → the caller received its first audio. */
  downLatenciesMs: number[];
  counters: LoadCounters;
  measuredMs: number;
}

export interface HangupResult {
  /** Model sessions still open when the wait for them ran out (they were then terminated). */
  sessionsLeftOpen: number;
}

export interface DriverCalls {
  open: { request: OpenCallsRequest; result: OpenCallsResult };
  measure: { request: { on: boolean }; result: null };
  collect: { request: Record<string, never>; result: CollectResult };
  hangup: { request: { timeoutMs: number }; result: HangupResult };
}

export type DriverCallKind = keyof DriverCalls;

export type DriverRequest = RpcRequest<DriverCalls>;

export type DriverReply = RpcReply;

/** The child's first message: where its fake model listens. */
export interface DriverReady {
  kind: 'ready';
  modelUrl: string;
}

export type DriverMessage = DriverReady | DriverReply;
