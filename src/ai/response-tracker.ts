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
 *   cancel, whose text speaks of a cancel or of no active response, is taken to be that answer.
 *   Any other error is reported: it may be the next response's.
 * - A `response.create` the server never answers does not block the rest: after a while the
 *   request is given up (`expireRequest`).
 * - A `response.created` while another response is active supersedes it: some providers split one
 *   answer across responses without a new request. The old one's late audio is dropped like a
 *   cancelled response's.
 */

export type ResponseCommand = { type: 'create'; instructions?: string } | { type: 'cancel'; responseId: string };

export type ResponsePhase =
  | { kind: 'idle' }
  /** `response.create` sent, `response.created` not seen yet; `seq` tells requests apart for expiry. */
  | { kind: 'requested'; cancelOnCreated: boolean; seq: number }
  | { kind: 'active'; responseId: string; cancelSent: boolean };

/** Cancelled responses remembered for dropping late audio; a call cancels a few per minute at most. */
const REMEMBERED_CANCELLED_RESPONSES = 16;

export const DEFAULT_CANCEL_ERROR_WINDOW_MS = 5_000;

/** What an error answering a cancel says (the documented one, and the OpenAI-style code). */
const CANCEL_ERROR_TEXT = /cancel|no active response|not active/i;

export class ResponseTracker {
  private current: ResponsePhase = { kind: 'idle' };
  private pendingCreate: { instructions?: string } | undefined;
  private readonly cancelledIds: string[] = [];
  private cancelErrorDeadlineMs: number | undefined;
  private requestSeq = 0;

  constructor(
    private readonly nowMs: () => number,
    private readonly cancelErrorWindowMs = DEFAULT_CANCEL_ERROR_WINDOW_MS,
  ) {}

  get phase(): ResponsePhase {
    return this.current;
  }

  /** The response in flight, for events that do not name theirs. */
  get activeResponseId(): string | undefined {
    return this.current.kind === 'active' ? this.current.responseId : undefined;
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

  /** `superseded`: an active response this one replaced; its late events are unwanted. */
  onCreated(responseId: string): { command?: ResponseCommand; superseded?: string } {
    const phase = this.current;
    const cancelNow = phase.kind === 'requested' && phase.cancelOnCreated;
    const superseded = phase.kind === 'active' && phase.responseId !== responseId ? phase.responseId : undefined;
    if (superseded !== undefined) this.remember(superseded);
    // From idle this is a response the server started by itself (VAD, idle re-prompt); from active
    // it replaces one whose response.done never came. Either way it is now the one in flight.
    const next: ResponsePhase = { kind: 'active', responseId, cancelSent: false };
    this.current = next;
    const command = cancelNow ? this.sendCancel(next) : undefined;
    return { ...(command ? { command } : {}), ...(superseded !== undefined ? { superseded } : {}) };
  }

  /** The sequence number of the request just sent, for `expireRequest`. */
  get lastRequestSeq(): number {
    return this.requestSeq;
  }

  /**
   * Gives up on request `seq` if `response.created` still has not come: the server ignored it
   * (or refused it without an error). Returns whether it was given up, and the queued create.
   */
  expireRequest(seq: number): { expired: boolean; command?: ResponseCommand } {
    const phase = this.current;
    if (phase.kind !== 'requested' || phase.seq !== seq) return { expired: false };
    this.current = { kind: 'idle' };
    const command = this.sendPending();
    return command === undefined ? { expired: true } : { expired: true, command };
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
  onError(text: string): { kind: 'cancel_race' } | { kind: 'create_failed'; command?: ResponseCommand } | { kind: 'other' } {
    const inWindow = this.cancelErrorDeadlineMs !== undefined && this.nowMs() <= this.cancelErrorDeadlineMs;
    if (inWindow && CANCEL_ERROR_TEXT.test(text)) {
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
    this.requestSeq += 1;
    this.current = { kind: 'requested', cancelOnCreated: false, seq: this.requestSeq };
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
    this.remember(phase.responseId);
    this.cancelErrorDeadlineMs = this.nowMs() + this.cancelErrorWindowMs;
    return { type: 'cancel', responseId: phase.responseId };
  }

  private remember(responseId: string): void {
    this.cancelledIds.push(responseId);
    if (this.cancelledIds.length > REMEMBERED_CANCELLED_RESPONSES) this.cancelledIds.shift();
  }
}
