/**
 * A response that fails before producing anything: response.created, then after the "thinking"
 * delay (optionally) an `error` event, then response.done with status `failed`, its
 * status_details naming the error, and no output. This is how the live service answers when it
 * cannot synthesize (a voice the model does not have, S-1), and what the greeting fault `failed`
 * produces (S-9).
 */
import { newId } from './ids.js';
import type { CancelTimer } from './session-timers.js';
import type { StatusDetails, ServerEventBody } from './server-events.js';
import type { WireErrorDetail } from './protocol-error.js';
import {
  responseObject,
  type ActiveResponse,
  type EarlyEnd,
  type ResponseEnvironment,
  type ResponseSource,
} from './responses.js';

export interface FailurePlan {
  source: ResponseSource;
  error: WireErrorDetail;
  /** Whether an `error` event precedes response.done (the voice failure: yes). */
  sendErrorEvent: boolean;
}

export class FailedResponse implements ActiveResponse {
  readonly id = newId('resp');
  private finished = false;
  private cancelTimer: CancelTimer = () => undefined;

  constructor(
    private readonly env: ResponseEnvironment,
    readonly index: number,
    private readonly plan: FailurePlan,
  ) {}

  start(): void {
    this.env.send({ type: 'response.created', response: responseObject(this.env, this.id, 'in_progress', []) });
    this.cancelTimer = this.env.timers.after(this.env.timing.firstDeltaDelayMs, () => this.fail());
  }

  stop(end: EarlyEnd): void {
    if (this.finished) return;
    this.cancelTimer();
    this.finish(end.status, end.details);
  }

  abandon(): void {
    this.cancelTimer();
    this.finished = true;
  }

  private fail(): void {
    const { error } = this.plan;
    if (this.plan.sendErrorEvent) this.env.send({ type: 'error', error } satisfies ServerEventBody);
    this.finish('failed', { type: 'failed', error: { code: error.code, message: error.message } });
  }

  private finish(status: EarlyEnd['status'], details: StatusDetails | undefined): void {
    this.finished = true;
    const usage = this.env.hooks.usage({ text: '', audioMs: undefined });
    this.env.send({ type: 'response.done', response: responseObject(this.env, this.id, status, [], usage, details) });
    this.env.hooks.onFinished({
      id: this.id,
      index: this.index,
      kind: 'speech',
      source: this.plan.source,
      status,
      text: '',
      audioMs: 0,
      audioDeltas: 0,
      plannedAudioMs: 0,
      firstAudioAtMs: undefined,
    });
  }
}
