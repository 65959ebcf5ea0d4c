/**
 * What is known about a call once it has ended: the source for call records, end-of-call
 * webhooks and metrics. Times are epoch milliseconds; durations and offsets are milliseconds.
 */
import type { AiUsage } from './ai-session.js';
import type { EndReason } from './end-reason.js';
import type { CallIdentity } from './media-leg.js';
import type { TranscriptTurn } from './transcript.js';

export interface BargeIn {
  /** Offset from call start when the model reported caller speech. */
  atMs: number;
  responseId: string;
  /** How much of the interrupted response the caller had heard. */
  heardMs: number;
  /** Frames dropped from the local queue by this barge-in. */
  droppedFrames: number;
}

export interface ToolCallRecord {
  name: string;
  arguments: string;
  output: string;
  durationMs: number;
  atMs: number;
}

/** One model session the call used. Offsets are call time. */
export interface ModelSessionRecord {
  /** The service's session id ('' when it gave none). */
  sessionId: string;
  openedAtMs: number;
  endedAtMs?: number;
  /** in_use while the call runs; then why this session stopped serving the call. */
  end: 'in_use' | 'call_ended' | 'dropped' | 'session_cap' | 'rolled_over';
  detail?: string;
  /**
   * For a session that took over: from the moment the previous one was lost until this one's
   * first audio (the reconnect line plays meanwhile and does not count). 0: a roll-over at a
   * quiet moment, where the caller had nothing to wait for.
   */
  callerGapMs?: number;
}

/** One attempt to hand the caller to a person, and how it ended. */
export interface TransferRecord {
  /** Offset from call start when the transfer was started (after the hand-off line played). */
  atMs: number;
  /** The agent's target name, and where it points (SIP URI or number). */
  target: string;
  destination: string;
  /**
   * `transferred`: done (`late` when the outcome came after the agent's time limit, e.g. a final
   * NOTIFY 200 after the call had given up); `failed`: refused or the target did not answer;
   * `timeout`: no outcome within the agent's `transfer.timeoutMs`.
   */
  outcome: 'transferred' | 'failed' | 'timeout';
  late?: boolean;
  /** The SIP (or HTTP) status that decided it, when known: 486, 603, 404… */
  status?: number;
  reason?: string;
}

export interface CallRecord {
  callId: string;
  identity: CallIdentity;
  agentId: string;
  startedAt: number;
  /** When the model session was ready (the call is "answered" by the agent). */
  answeredAt?: number;
  endedAt: number;
  durationMs: number;
  endReason: EndReason;
  endDetail?: string;
  turns: TranscriptTurn[];
  bargeIns: BargeIn[];
  toolCalls: ToolCallRecord[];
  /** Transfer attempts, when there were any. */
  transfers?: TransferRecord[];
  usage: AiUsage;
  stats: CallStats;
  /** Every model session the call used, in order (more than one after a reconnect or roll-over). */
  modelSessions: ModelSessionRecord[];
}

export interface CallStats {
  /** Call start → first agent frame sent to the caller. */
  firstAudioMs?: number;
  /** Per turn: model's speech_stopped → first agent frame sent for the response. */
  turnLatenciesMs: number[];
  uplinkFrames: number;
  downlinkFramesSent: number;
  /** Caller audio that arrived before the model session was ready. */
  uplinkFramesDropped: number;
  /** Audio of responses that had already been cut off (barge-in) and was dropped. */
  lateAudioDropped: number;
  /** Caller audio dropped for arriving faster than real time (see realtime-budget.ts), in ms. */
  uplinkOverBudgetMs: number;
  aiErrors: number;
  /** New model sessions after a drop, quiet switches before the cap, and attempts that failed. */
  reconnects: number;
  rollovers: number;
  failedReconnects: number;
}
