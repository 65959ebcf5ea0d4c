/**
 * The messages between `npm run bench:sip` and its RTP peers child (rtp-peers.ts): the far ends
 * of the calls, in their own process so that the arrival times they record are not delayed by
 * the bridge's event loop. Plain JSON over the Node IPC channel (child-rpc.ts).
 */
import type { RpcReply, RpcRequest } from './child-rpc.js';
import type { GridSummary } from './rtp-grid.js';

export interface RtpPeersCalls {
  /** Bind `count` UDP sockets on 127.0.0.1; their ports go into the calls' SDP offers. */
  open: { request: { count: number }; result: { ports: number[] } };
  /**
   * Socket i sends PCMU silence to 127.0.0.1:targets[i] every 20 ms (a phone line is never
   * quiet), spread over the period. From the same socket, so the bridge's symmetric-RTP latch
   * keeps sending where the receiver listens.
   */
  send: { request: { targets: number[] }; result: null };
  /** Start recording arrivals (discarding earlier ones), or stop. */
  measure: { request: { on: boolean }; result: null };
  /**
   * Analyse what the last measurement recorded. Separate from stopping it, so the CPU this takes
   * can be spent when the benchmark is not timing anything else.
   */
  summary: { request: { lateThresholdMs: number }; result: ReceiverSummary };
  /**
   * Barge-in script for peers[i] of each index: a 1 s tone (the caller's question), then, once
   * the agent's answer has been arriving for `bargeInAfterAgentMs`, a 1.5 s tone over it (the
   * barge-in). Tones rather than speech: no pause in them can end the caller's turn early and
   * let a new answer start while the caller is still talking.
   */
  converse: { request: { peers: number[]; bargeInAfterAgentMs: number }; result: null };
  /** What the converse peers saw so far. */
  conversation: { request: Record<string, never>; result: { peers: ConversationReport[] } };
  /** Stop sending and close every socket. */
  close: { request: Record<string, never>; result: null };
}

/** Times are epoch milliseconds (timeOrigin + now), comparable with the benchmark process's. */
export interface ConversationReport {
  index: number;
  /** The first agent packet after the question (the answer started arriving). */
  answerStartedAtMs: number | null;
  /** First and last packet of the barge-in tone sent. */
  bargeInStartedAtMs: number | null;
  bargeInEndedAtMs: number | null;
  /**
   * Every packet from the bridge since the script started: arrival, RTP timestamp, and whether it
   * carried agent audio (anything but the idle silence payload).
   */
  packets: ReceivedPacket[];
}

export type ReceivedPacket = [atMs: number, timestamp: number, agent: boolean];

export interface ReceiverSummary {
  grid: GridSummary;
  /** Event-loop delay of the receiving process while measuring: the error bar on every arrival time. */
  receiverLoopDelayP99Ms: number;
  receiverLoopDelayMaxMs: number;
  /** This child's CPU while measuring, % of one core: what the far ends themselves cost the machine. */
  receiverCpuPercent: number;
  /** Caller packets the child sent more than 5 ms after their due time (its own lateness). */
  callerSendsLate: number;
  measuredMs: number;
}

export type RtpPeersKind = keyof RtpPeersCalls;

export type RtpPeersRequest = RpcRequest<RtpPeersCalls>;

export type RtpPeersReply = RpcReply;

export type RtpPeersMessage = { kind: 'ready' } | RtpPeersReply;
