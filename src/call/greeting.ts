/**
 * The call's opening line, and every way it can fail. The model may refuse the request (an
 * `error`), answer it with a response that ends `failed` or carries no audio (a voice it cannot
 * speak), ignore it (the adapter gives up and reports an error), or drop the socket right after
 * it. In each case the caller must hear something within a second, so the agent's recorded
 * fallback plays; with no recording, the call goes on listening and says so in the log.
 *
 * Pure bookkeeping: the call feeds it the model's events and carries out what it decides.
 */
import type { Greeting } from './agent-profile.js';

/** A socket close this soon after the greeting request counts as the greeting failing. */
export const GREETING_CLOSE_WINDOW_MS = 3_000;

type State =
  | { kind: 'idle' }
  /** Asked the model; no response yet. */
  | { kind: 'requested'; atMs: number }
  /** The model's greeting response is under way. */
  | { kind: 'speaking'; responseId: string; atMs: number; audio: boolean }
  | { kind: 'settled' };

export interface GreetingActions {
  /** Ask the model to greet with these instructions. */
  askModel(instructions: string): void;
  /** Play a recording locally (the greeting file, or the fallback), with its transcript. */
  playRecording(transcript: string): void;
  /** Nothing will be said: start waiting for the caller. */
  listen(): void;
  warn(why: string, fellBackTo: 'recording' | 'nothing'): void;
}

export class GreetingFlow {
  #state: State = { kind: 'idle' };

  constructor(
    private readonly greeting: Greeting,
    /** Whether the fallback recording was loaded. */
    private readonly hasRecording: boolean,
    private readonly actions: GreetingActions,
  ) {}

  /** Still waiting to know whether the model's greeting worked. */
  get pending(): boolean {
    return this.#state.kind === 'requested' || this.#state.kind === 'speaking';
  }

  start(atMs: number): void {
    const greeting = this.greeting;
    switch (greeting.mode) {
      case 'model':
        this.#state = { kind: 'requested', atMs };
        this.actions.askModel(greeting.instructions);
        return;
      case 'file':
        this.#state = { kind: 'settled' };
        this.actions.playRecording(greeting.transcript);
        return;
      case 'none':
        this.#state = { kind: 'settled' };
        this.actions.listen();
        return;
    }
  }

  /** A response started; the first one after the request is the greeting. */
  onResponseStarted(responseId: string, atMs: number): void {
    if (this.#state.kind === 'requested') this.#state = { kind: 'speaking', responseId, atMs, audio: false };
  }

  onAudio(responseId: string): void {
    if (this.#state.kind === 'speaking' && this.#state.responseId === responseId) this.#state.audio = true;
  }

  onResponseDone(responseId: string, status: string): void {
    const state = this.#state;
    if (state.kind !== 'speaking' || state.responseId !== responseId) return;
    if (status === 'cancelled') {
      // The caller spoke over it: they are talking, not waiting in silence.
      this.#state = { kind: 'settled' };
      return;
    }
    if (status === 'completed' && state.audio) {
      this.#state = { kind: 'settled' };
      return;
    }
    this.fallBack(state.audio ? `greeting response ended ${status}` : `greeting response ended ${status} without audio`, state.audio);
  }

  /** A model `error`, or an unanswered request: it answers the greeting request if one is open. */
  onError(detail: string): void {
    const state = this.#state;
    if (state.kind === 'requested') this.fallBack(`the model refused the greeting request (${detail})`, false);
    else if (state.kind === 'speaking' && !state.audio) this.fallBack(`the model failed the greeting (${detail})`, false);
  }

  /**
   * The model's socket closed. True when that is a greeting failure (no greeting audio yet, and
   * within the window of the request): the fallback has started and the call may try a new session.
   */
  onClosed(atMs: number): boolean {
    const state = this.#state;
    if (state.kind !== 'requested' && !(state.kind === 'speaking' && !state.audio)) return false;
    if (atMs - state.atMs > GREETING_CLOSE_WINDOW_MS) return false;
    this.fallBack('the model closed the session right after the greeting request', false);
    return true;
  }

  private fallBack(why: string, someAudioPlayed: boolean): void {
    this.#state = { kind: 'settled' };
    const greeting = this.greeting;
    // Part of the greeting was heard: repeating it from the top would sound broken.
    if (!someAudioPlayed && greeting.mode === 'model' && greeting.fallback && this.hasRecording) {
      this.actions.warn(why, 'recording');
      this.actions.playRecording(greeting.fallback.transcript);
      return;
    }
    this.actions.warn(why, 'nothing');
    this.actions.listen();
  }
}
