/**
 * A model session that records what the call asked of it and lets a test play the model's side.
 * It is a real implementation of the AiSession port, not a mock.
 */
import type { AgentProfile } from '../../src/call/agent-profile.js';
import type { AiConnector, AiEvent, AiSession, ConversationPrimer } from '../../src/call/ai-session.js';
import { AiConnectError } from '../../src/call/ai-session.js';

export type SentToAi =
  | { type: 'append'; samples: number }
  | { type: 'flush' }
  | { type: 'greet'; instructions: string }
  | { type: 'create_response'; instructions?: string }
  | { type: 'cancel' }
  | { type: 'tool_result'; toolCallId: string; output: string }
  | { type: 'close' };

export class FakeAiSession implements AiSession {
  readonly sessionId: string;
  readonly inputRateHz = 16_000;
  readonly outputRateHz = 24_000;
  readonly sent: SentToAi[] = [];
  closed = false;

  constructor(
    readonly profile: AgentProfile,
    private readonly onEvent: (event: AiEvent) => void,
    /** What the call handed over for a session that takes over the conversation. */
    readonly primer?: ConversationPrimer,
    n = 1,
  ) {
    this.sessionId = `sess_fake_${n}`;
  }

  emit(event: AiEvent): void {
    this.onEvent(event);
  }

  appendAudio(pcm: Int16Array): void {
    this.sent.push({ type: 'append', samples: pcm.length });
  }
  flushAudio(): void {
    this.sent.push({ type: 'flush' });
  }
  greet(instructions: string): void {
    this.sent.push({ type: 'greet', instructions });
  }
  createResponse(instructions?: string): void {
    this.sent.push(instructions === undefined ? { type: 'create_response' } : { type: 'create_response', instructions });
  }
  cancelResponse(): void {
    this.sent.push({ type: 'cancel' });
  }
  sendToolResult(toolCallId: string, output: string): void {
    this.sent.push({ type: 'tool_result', toolCallId, output });
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sent.push({ type: 'close' });
  }
  /** Set to hold the record back until `settle()`, as a late caller transcript would. */
  pendingTranscript: { resolve: () => void } | undefined;
  finish(): Promise<void> | undefined {
    this.close();
    if (this.pendingTranscript === undefined) return undefined;
    return new Promise((resolve) => (this.pendingTranscript = { resolve }));
  }

  /** Stream `ms` of 24 kHz audio as one response, the way the service does. */
  speak(responseId: string, ms: number, opts: { done?: boolean; deltaMs?: number } = {}): void {
    this.emit({ type: 'response_started', responseId });
    const deltaMs = opts.deltaMs ?? 100;
    for (let at = 0; at < ms; at += deltaMs) {
      const len = (Math.min(deltaMs, ms - at) * 24_000) / 1000;
      // Text first: the model's transcript of a stretch of speech precedes that speech's audio.
      this.emit({ type: 'assistant_transcript_delta', responseId, itemId: `item_${responseId}`, text: `w${at / deltaMs} ` });
      this.emit({ type: 'audio', responseId, itemId: `item_${responseId}`, pcm: tone(len, 24_000, 440) });
    }
    if (opts.done ?? true) this.emit({ type: 'response_done', responseId, status: 'completed' });
  }
}

export function tone(samples: number, rateHz: number, freqHz: number, amplitude = 8000): Int16Array {
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * freqHz * i) / rateHz));
  return out;
}

/** A connector handing out FakeAiSessions; `fail` makes the next connect fail like a 401. */
export class FakeAiConnector {
  sessions: FakeAiSession[] = [];
  fail: AiConnectError | undefined;

  connect: AiConnector = (profile, onEvent, opts) => {
    if (this.fail) return Promise.reject(this.fail);
    const session = new FakeAiSession(profile, onEvent, opts.primer, this.sessions.length + 1);
    this.sessions.push(session);
    return Promise.resolve(session);
  };

  get last(): FakeAiSession {
    const session = this.sessions[this.sessions.length - 1];
    if (!session) throw new Error('no session was opened');
    return session;
  }
}

export const authFailure = (): AiConnectError => new AiConnectError('auth', 'HTTP 401', 401);
