/**
 * What a call keeps for its record while it runs: transcript, barge-ins, tool calls, token usage
 * and the counters and latencies in CallStats. The Call reports what happens; the ledger does the
 * bookkeeping and builds the CallRecord once, at the end.
 */
import type { AiUsage } from './ai-session.js';
import type { BargeIn, CallRecord, CallStats, ModelSessionRecord, ToolCallRecord, TransferRecord } from './call-record.js';
import type { EndReason } from './end-reason.js';
import type { CallIdentity } from './media-leg.js';
import { Transcript } from './transcript.js';

export class CallLedger {
  readonly transcript = new Transcript();
  readonly stats: CallStats = {
    turnLatenciesMs: [],
    uplinkFrames: 0,
    downlinkFramesSent: 0,
    uplinkFramesDropped: 0,
    lateAudioDropped: 0,
    uplinkOverBudgetMs: 0,
    aiErrors: 0,
    reconnects: 0,
    rollovers: 0,
    failedReconnects: 0,
  };
  readonly #bargeIns: BargeIn[] = [];
  readonly #toolCalls: ToolCallRecord[] = [];
  readonly #transfers: TransferRecord[] = [];
  readonly #usage: AiUsage = { inputTokens: 0, outputTokens: 0, inputAudioTokens: 0, outputAudioTokens: 0 };
  #answeredAt: number | undefined;
  /** When the model last reported the caller stopped speaking, until the next agent frame. */
  #speechStoppedAtMs: number | undefined;

  answered(): void {
    this.#answeredAt = Date.now();
  }

  callerStoppedSpeaking(atMs: number): void {
    this.#speechStoppedAtMs = atMs;
  }

  /** An agent frame went to the caller: the first one dates the call's first audio and the turn. */
  agentFrameSent(atMs: number): void {
    this.stats.downlinkFramesSent += 1;
    this.stats.firstAudioMs ??= Math.round(atMs);
    if (this.#speechStoppedAtMs !== undefined) {
      this.stats.turnLatenciesMs.push(Math.round(atMs - this.#speechStoppedAtMs));
      this.#speechStoppedAtMs = undefined;
    }
  }

  bargeIn(entry: BargeIn): void {
    this.#bargeIns.push(entry);
  }

  toolCall(entry: ToolCallRecord): void {
    this.#toolCalls.push(entry);
  }

  /** A transfer attempt; the entry may be updated until the call ends (a late outcome). */
  transfer(entry: TransferRecord): void {
    this.#transfers.push(entry);
  }

  addUsage(usage: AiUsage): void {
    this.#usage.inputTokens += usage.inputTokens;
    this.#usage.outputTokens += usage.outputTokens;
    this.#usage.inputAudioTokens += usage.inputAudioTokens;
    this.#usage.outputAudioTokens += usage.outputAudioTokens;
  }

  record(call: {
    callId: string;
    identity: CallIdentity;
    agentId: string;
    startedAt: number;
    durationMs: number;
    endReason: EndReason;
    endDetail?: string;
    modelSessions: readonly ModelSessionRecord[];
  }): CallRecord {
    return {
      callId: call.callId,
      identity: call.identity,
      agentId: call.agentId,
      startedAt: call.startedAt,
      ...(this.#answeredAt !== undefined ? { answeredAt: this.#answeredAt } : {}),
      endedAt: Date.now(),
      durationMs: Math.round(call.durationMs),
      endReason: call.endReason,
      ...(call.endDetail !== undefined ? { endDetail: call.endDetail } : {}),
      turns: this.transcript.turns,
      bargeIns: this.#bargeIns,
      toolCalls: this.#toolCalls,
      ...(this.#transfers.length > 0 ? { transfers: this.#transfers } : {}),
      usage: this.#usage,
      stats: this.stats,
      modelSessions: [...call.modelSessions],
    };
  }
}
