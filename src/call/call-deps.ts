/**
 * What a Call is built from: its settings, the ports it drives, the recordings it may play, and
 * the recording tap. Separate from call.ts so adapters can name these without the Call itself.
 */
import type { Logger } from 'pino';
import type { AgentProfile } from './agent-profile.js';
import type { ResamplerFactory } from '../audio/resampler.js';
import type { AiConnector } from './ai-session.js';
import type { CallRecord } from './call-record.js';
import type { CallIdentity, MediaLeg } from './media-leg.js';
import type { PacingClock } from './pacing-clock.js';
import type { RealtimeBudgetSettings } from './realtime-budget.js';
import type { CallTools } from './tool-runner.js';

export interface CallSettings {
  /** Audio sent ahead of real time toward the caller; the most a barge-in can leave at the far end. */
  playoutLeadMs: number;
  /** Hang up when the caller has said nothing for this long after the agent finished. */
  callerSilenceMs: number;
  /** Hang up when no media frame has arrived for this long. */
  mediaTimeoutMs: number;
  /** Start the goodbye this long before the max duration. */
  wrapUpLeadMs: number;
  /** Longest wait for a goodbye / hand-off line to finish playing before acting anyway. */
  drainTimeoutMs: number;
  /** The model service closes a session after this long (Qwen: 120 min). */
  sessionCapMs: number;
  /** A session is replaced at the latest this long before the session cap. */
  sessionCapMarginMs: number;
  /** From this long before the cap, the next session is opened at a quiet moment. */
  rolloverLeadMs: number;
  /** After a dropped session: new sessions tried, and how long they may take together. */
  reconnectAttempts: number;
  reconnectDeadlineMs: number;
  /** The PCM16 rates the model session takes and gives, as its adapter declares them. */
  modelAudio: { inputRateHz: number; outputRateHz: number };
  /** How far the caller's audio may run ahead of real time (default DEFAULT_REALTIME_BUDGET). */
  realtimeBudget?: RealtimeBudgetSettings;
}

/**
 * Taps for call recording: PCM16 at the leg's rate, stamped with call time in milliseconds (when
 * the caller's frame arrived; when the agent's frame was sent). Arrays are only valid during the
 * call: a tap that keeps them must copy.
 */
export interface CallAudioTap {
  callerAudio(pcm: Int16Array, atMs: number): void;
  agentAudio(frame: Int16Array, atMs: number): void;
  /** The call ended: finish the recording. */
  close(): void;
}

export interface CallDeps {
  callId: string;
  identity: CallIdentity;
  profile: AgentProfile;
  leg: MediaLeg;
  connectAi: AiConnector;
  createResampler: ResamplerFactory;
  /** The agent's tools for this call: the model's tool calls, keypad digits, webhook transfer. */
  tools: CallTools;
  settings: CallSettings;
  logger: Logger;
  /** A locally played greeting (mode 'file', or the fallback of mode 'model'), preloaded. */
  greetingAudio?: { pcm: Int16Array; sampleRateHz: number };
  /** Recorded lines for when the model is lost: while a new session opens, and when none can be. */
  lines?: { reconnect?: RecordedLine; unavailable?: RecordedLine };
  /** The bridge-wide apology (calls.unavailable), when the agent has no `unavailable` line. */
  unavailableAudio?: UnavailableAudio;
  /** Recording taps, when the agent records calls. */
  audioTap?: CallAudioTap;
  /** Monotonic clock in milliseconds. */
  now?: () => number;
  /** The process's pacing clock, shared by every call; without one the call keeps its own. */
  pacing?: PacingClock;
  onEnded(record: CallRecord): void;
}

export interface RecordedLine {
  pcm: Int16Array;
  sampleRateHz: number;
  transcript: string;
}

export interface RecordedLine {
  pcm: Int16Array;
  sampleRateHz: number;
  transcript: string;
}

/** The bridge-wide apology recording (calls.unavailable). */
export type UnavailableAudio = RecordedLine;
