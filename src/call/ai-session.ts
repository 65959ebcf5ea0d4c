/**
 * The call core's view of a speech-to-speech model session. The Qwen adapter (src/ai) implements
 * it; the core never sees the wire protocol. Audio crosses this port as PCM16 mono at the rates
 * the session declares.
 */
import type { AgentProfile } from './agent-profile.js';

export interface AiSession {
  /** The service's id for this session ('' when it gave none); the call record lists them. */
  readonly sessionId: string;
  readonly inputRateHz: number; // 16000 for Qwen-Omni-Realtime
  readonly outputRateHz: number; // 24000 for Qwen-Omni-Realtime
  /** Queue caller audio; the adapter batches appends (≤ 100 ms) and drops it when not open. */
  appendAudio(pcm: Int16Array): void;
  /** Send any batched caller audio now. */
  flushAudio(): void;
  /**
   * Open the conversation: the model greets the caller as `instructions` say. The adapter picks
   * what the service honours (on some models a user text cue, on others per-response instructions).
   */
  greet(instructions: string): void;
  /**
   * Ask the model to respond now, optionally with a one-off line to say (goodbye, "transfer
   * failed", a keypad `say`). The adapter keeps the agent's persona and language around it.
   */
  createResponse(instructions?: string): void;
  /** Cancel the response in progress. The adapter tolerates the error the server sends when none is. */
  cancelResponse(): void;
  /**
   * Return a tool result. The adapter sends the results of one response's calls together, once
   * all of them are in, and then asks for the next response.
   */
  sendToolResult(toolCallId: string, output: string): void;
  /** Close the socket (idempotent). No `closed` event follows a close we asked for. */
  close(): void;
  /**
   * The call is over: send nothing more, but wait up to `maxWaitMs` for caller transcripts still
   * due (the service often sends the last one after the hang-up), then close. Returns undefined
   * when there was nothing to wait for and the session is closed already.
   */
  finish(maxWaitMs: number): Promise<void> | undefined;
}

export interface AiUsage {
  inputTokens: number;
  outputTokens: number;
  inputAudioTokens: number;
  outputAudioTokens: number;
}

export type AiEvent =
  | { type: 'ready' } // session.updated received: configuration accepted
  | { type: 'speech_started'; itemId: string; audioStartMs: number }
  | { type: 'speech_stopped'; itemId: string; audioEndMs: number }
  | { type: 'response_started'; responseId: string }
  | { type: 'audio'; responseId: string; itemId: string; pcm: Int16Array }
  | { type: 'assistant_transcript_delta'; responseId: string; itemId: string; text: string }
  | { type: 'assistant_transcript_done'; responseId: string; itemId: string; text: string }
  | { type: 'caller_transcript'; itemId: string; text: string; final: boolean }
  /** Delivered only once the response that made the call has completed: it is safe to act on. */
  | { type: 'tool_call'; responseId: string; toolCallId: string; name: string; arguments: string }
  | {
      type: 'response_done';
      responseId: string;
      status: 'completed' | 'cancelled' | 'incomplete' | 'failed';
      /** Why it did not complete, when the service said (for logs). */
      statusDetails?: string;
      usage?: AiUsage;
    }
  /** A server `error` event: logged and counted; the session stays usable. */
  | { type: 'error'; code: string; message: string }
  /**
   * The service refused something of the agent's configuration that it had accepted at connect
   * (a voice the model does not speak fails at the first answer). Every answer will fail: the
   * call should end rather than leave the caller in silence.
   */
  | { type: 'config_rejected'; detail: string }
  /** The socket ended without us asking. `sessionCap` when it happened at the model's time limit. */
  | { type: 'closed'; cause: 'remote_close' | 'socket_error' | 'session_cap'; code?: number; detail: string };

export type AiConnectErrorKind = 'auth' | 'quota' | 'rate_limited' | 'server' | 'handshake' | 'timeout' | 'rejected_config';

/** Thrown by `AiConnector` when a session cannot be established. */
export class AiConnectError extends Error {
  constructor(
    readonly kind: AiConnectErrorKind,
    message: string,
    readonly httpStatus?: number,
  ) {
    super(message);
    this.name = 'AiConnectError';
  }
}

/**
 * The conversation so far, for a session that takes over a call (after a drop, or before the
 * session cap): what the caller said and what they heard the agent say, oldest first. How it
 * reaches the model is the adapter's business.
 */
export interface ConversationPrimer {
  turns: Array<{ role: 'caller' | 'agent'; text: string }>;
}

/**
 * Opens one model session for one call: connect, wait for session.created, send session.update
 * from the agent profile, resolve once session.updated arrives. Events go to `onEvent` from then on
 * (events received before the promise resolves are delivered after it resolves, in order).
 */
export type AiConnector = (
  profile: AgentProfile,
  onEvent: (event: AiEvent) => void,
  opts: { callId: string; signal?: AbortSignal; primer?: ConversationPrimer },
) => Promise<AiSession>;
