/**
 * Which model response is in flight, and what may be sent about it. Pure state: it returns the
 * commands to send and the session sends them.
 *
 * Rules it enforces:
 * - At most one response at a time: a `response.create` asked for while one is requested, active
 *   or being cancelled waits (one at most) and goes out on that response's `response.done`.
 * - `response.cancel` only for a response the server has announced; a cancel asked for before
 *   `response.created` is sent as soon as it arrives.
 * - Audio of a cancelled response is unwanted however late it comes.
 * - The server answers a cancel that found nothing active with an `error`; one error soon after a
 *   cancel is taken to be that answer.
 */

export type ResponseCommand = { type: 'create'; instructions?: string } | { type: 'cancel'; responseId: string };

export type ResponsePhase =
  | { kind: 'idle' }
  /** `response.create` sent, `response.created` not seen yet. */
  | { kind: 'requested'; cancelOnCreated: boolean }
  | { kind: 'active'; responseId: string; cancelSent: boolean };

/** Cancelled responses remembered for dropping late audio; a call cancels a few per minute at most. */
const REMEMBERED_CANCELLED_RESPONSES = 16;

export const DEFAULT_CANCEL_ERROR_WINDOW_MS = 5_000;

export class ResponseTracker {
  private current: ResponsePhase = { kind: 'idle' };
  private pendingCreate: { instructions?: string } | undefined;
  private readonly cancelledIds: string[] = [];
  private cancelErrorDeadlineMs: number | undefined;

  constructor(
    private readonly nowMs: () => number,
    private readonly cancelErrorWindowMs = DEFAULT_CANCEL_ERROR_WINDOW_MS,
  ) {}

  get phase(): ResponsePhase {
    return this.current;
  }

  get hasPendingCreate(): boolean {
    return this.pendingCreate !== undefined;
  }

  /** Returns the command to send now, or undefined when the request was queued. */
  requestCreate(instructions?: string): ResponseCommand | undefined {
    if (this.current.kind === 'idle') return this.sendCreate(instructions);
    // One queued request at most: a later request's instructions win, an earlier one's are kept
    // when the later has none (a tool result queued behind a goodbye must not lose the goodbye).
    this.pendingCreate = { ...this.pendingCreate, ...(instructions === undefined ? {} : { instructions }) };
    return undefined;
  }

  /** Cancels the response in progress (a queued create is kept: the core asked for it separately). */
  requestCancel(): ResponseCommand | undefined {
    const phase = this.current;
    switch (phase.kind) {
      case 'idle':
        return undefined;
      case 'requested':
        phase.cancelOnCreated = true;
        return undefined;
      case 'active':
        if (phase.cancelSent) return undefined;
        return this.sendCancel(phase);
    }
  }

  onCreated(responseId: string): ResponseCommand | undefined {
    const phase = this.current;
    const cancelNow = phase.kind === 'requested' && phase.cancelOnCreated;
    // From idle this is a response the server started by itself (VAD, idle re-prompt); from active
    // it replaces one whose response.done never came. Either way it is now the one in flight.
    const next: ResponsePhase = { kind: 'active', responseId, cancelSent: false };
    this.current = next;
    return cancelNow ? this.sendCancel(next) : undefined;
  }

  /** Returns the queued create to send now, if this ended the response in flight. */
  onDone(responseId: string): ResponseCommand | undefined {
    const phase = this.current;
    if (phase.kind !== 'active' || phase.responseId !== responseId) return undefined;
    this.current = { kind: 'idle' };
    return this.sendPending();
  }

  /**
   * Classifies a server `error`. `cancel_race` means it answered a cancel that found nothing to
   * cancel; `create_failed` means it most likely rejected our `response.create` (no
   * `response.created` was seen), so waiting for that response would block every later one.
   */
  onError(): { kind: 'cancel_race' } | { kind: 'create_failed'; command?: ResponseCommand } | { kind: 'other' } {
    if (this.cancelErrorDeadlineMs !== undefined && this.nowMs() <= this.cancelErrorDeadlineMs) {
      this.cancelErrorDeadlineMs = undefined;
      return { kind: 'cancel_race' };
    }
    this.cancelErrorDeadlineMs = undefined;
    if (this.current.kind === 'requested') {
      this.current = { kind: 'idle' };
      const command = this.sendPending();
      return command === undefined ? { kind: 'create_failed' } : { kind: 'create_failed', command };
    }
    return { kind: 'other' };
  }

  isCancelled(responseId: string): boolean {
    return this.cancelledIds.includes(responseId);
  }

  private sendCreate(instructions: string | undefined): ResponseCommand {
    this.current = { kind: 'requested', cancelOnCreated: false };
    return instructions === undefined ? { type: 'create' } : { type: 'create', instructions };
  }

  private sendPending(): ResponseCommand | undefined {
    const pending = this.pendingCreate;
    if (pending === undefined) return undefined;
    this.pendingCreate = undefined;
    return this.sendCreate(pending.instructions);
  }

  private sendCancel(phase: { kind: 'active'; responseId: string; cancelSent: boolean }): ResponseCommand {
    phase.cancelSent = true;
    this.cancelledIds.push(phase.responseId);
    if (this.cancelledIds.length > REMEMBERED_CANCELLED_RESPONSES) this.cancelledIds.shift();
    this.cancelErrorDeadlineMs = this.nowMs() + this.cancelErrorWindowMs;
    return { type: 'cancel', responseId: phase.responseId };
  }
}
