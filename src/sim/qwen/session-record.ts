/**
 * What a test can observe about one simulated session: every client event received, every server
 * event sent, committed user turns, responses, tool outputs, and how the session ended. The
 * session writes it; tests only read it (through `SimulatedSession`) or wait on it.
 */
import { EventEmitter } from 'node:events';
import type { ResponseSummary } from './responses.js';
import type { ServerEvent } from './server-events.js';
import type { SessionConfig } from './session-config.js';

export interface ReceivedClientEvent {
  /** Milliseconds since the session opened. */
  atMs: number;
  /** The event's `type`, or `(binary)` / `(not json)` for frames that were not JSON objects. */
  type: string;
  /** The parsed JSON. For input_audio_buffer.append the base64 `audio` is replaced by
   *  `audio_bytes` (its decoded length), so long calls do not keep every sample in memory. */
  event: Record<string, unknown> | undefined;
  /** False when the simulator answered the frame with an `error`. */
  accepted: boolean;
}

export interface CommittedUserItem {
  itemId: string;
  audioMs: number;
  transcript: string;
  via: 'vad' | 'commit';
}

export interface ToolOutputRecord {
  callId: string;
  itemId: string;
  toolName: string;
  output: string;
}

/** `idle_timeout`: live mode closed a session that had received nothing for `idleCloseMs`. */
export type SessionEndCause = 'client_closed' | 'session_cap' | 'idle_timeout' | 'fault' | 'simulator_closed';

export interface SessionEnd {
  cause: SessionEndCause;
  code: number;
}

export interface WaitOptions {
  /** Resolve on the n-th matching event (default 1st), counting those already recorded. */
  count?: number;
  timeoutMs?: number;
}

export interface SimulatedSession {
  /** 1-based, in order of acceptance. */
  readonly number: number;
  readonly id: string;
  readonly model: string;
  readonly workspaceId: string | undefined;
  readonly received: readonly ReceivedClientEvent[];
  /** Every server event sent, in order; `response.audio.delta` payloads are replaced by a note
   *  of their size (read audio on the client side). */
  readonly sent: readonly ServerEvent[];
  /** The effective configuration (what the last session.updated echoed). */
  readonly config: SessionConfig;
  readonly userItems: readonly CommittedUserItem[];
  /** Texts of the user `input_text` items the client added (live mode, families that take them), in order. */
  readonly userTextItems: readonly string[];
  readonly responses: readonly ResponseSummary[];
  readonly toolOutputs: readonly ToolOutputRecord[];
  /** Caller audio appended so far, in milliseconds of 16 kHz PCM16. */
  readonly appendedAudioMs: number;
  readonly ended: SessionEnd | undefined;
  waitForClientEvent(type: string, options?: WaitOptions): Promise<ReceivedClientEvent>;
  waitForServerEvent(type: string, options?: WaitOptions): Promise<ServerEvent>;
  waitForEnd(options?: Pick<WaitOptions, 'timeoutMs'>): Promise<SessionEnd>;
}

const DEFAULT_WAIT_MS = 5_000;

export class SessionRecord implements SimulatedSession {
  readonly received: ReceivedClientEvent[] = [];
  readonly sent: ServerEvent[] = [];
  readonly userItems: CommittedUserItem[] = [];
  readonly userTextItems: string[] = [];
  readonly responses: ResponseSummary[] = [];
  readonly toolOutputs: ToolOutputRecord[] = [];
  appendedAudioMs = 0;
  ended: SessionEnd | undefined;
  private readonly changes = new EventEmitter<{ change: [] }>();

  constructor(
    readonly number: number,
    readonly id: string,
    readonly model: string,
    readonly workspaceId: string | undefined,
    public config: SessionConfig,
  ) {
    this.changes.setMaxListeners(0);
  }

  addReceived(entry: ReceivedClientEvent): void {
    this.received.push(entry);
    this.changes.emit('change');
  }

  addSent(event: ServerEvent): void {
    this.sent.push(event);
    this.changes.emit('change');
  }

  markEnded(end: SessionEnd): void {
    if (this.ended) return;
    this.ended = end;
    this.changes.emit('change');
  }

  waitForClientEvent(type: string, options: WaitOptions = {}): Promise<ReceivedClientEvent> {
    const nth = (options.count ?? 1) - 1;
    const probe = (): ReceivedClientEvent | undefined => this.received.filter((e) => e.type === type)[nth];
    return this.waitFor(`client event ${type}`, options.timeoutMs, probe);
  }

  waitForServerEvent(type: string, options: WaitOptions = {}): Promise<ServerEvent> {
    const nth = (options.count ?? 1) - 1;
    const probe = (): ServerEvent | undefined => this.sent.filter((e) => e.type === type)[nth];
    return this.waitFor(`server event ${type}`, options.timeoutMs, probe);
  }

  waitForEnd(options: Pick<WaitOptions, 'timeoutMs'> = {}): Promise<SessionEnd> {
    return this.waitFor('session end', options.timeoutMs, () => this.ended);
  }

  private waitFor<T>(what: string, timeoutMs: number | undefined, probe: () => T | undefined): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = probe();
        if (found === undefined) return false;
        this.changes.off('change', onChange);
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      const onChange = (): void => void check();
      const timer = setTimeout(() => {
        this.changes.off('change', onChange);
        reject(new Error(`session ${this.number}: timed out waiting for ${what}`));
      }, timeoutMs ?? DEFAULT_WAIT_MS);
      this.changes.on('change', onChange);
      check();
    });
  }
}
