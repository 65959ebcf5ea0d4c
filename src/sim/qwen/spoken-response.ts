/**
 * A response that speaks (§7 steps 3–5): response.created, then after the "thinking" delay one
 * spoken assistant message (speech-part.ts), then response.done.
 */
import { newId } from './ids.js';
import type { CancelTimer } from './session-timers.js';
import type { ResponseStatus, StatusDetails } from './server-events.js';
import { SpeechPart } from './speech-part.js';
import {
  responseObject,
  type ActiveResponse,
  type EarlyEnd,
  type ResponseEnvironment,
  type ResponseSource,
} from './responses.js';

export interface SpokenReply {
  text: string;
  pcm: Int16Array;
  source: ResponseSource;
}

export class SpokenResponse implements ActiveResponse {
  readonly id = newId('resp');
  private readonly part: SpeechPart;
  private finished = false;
  private cancelTimer: CancelTimer = () => undefined;

  constructor(
    private readonly env: ResponseEnvironment,
    readonly index: number,
    private readonly reply: SpokenReply,
  ) {
    this.part = new SpeechPart(env, this.id, 0, reply, {
      audioDelta: (count) => env.hooks.onAudioDelta(index, count),
      streamed: () => this.finish('completed'),
    });
  }

  start(): void {
    this.env.send({ type: 'response.created', response: responseObject(this.env, this.id, 'in_progress', []) });
    this.cancelTimer = this.env.timers.after(this.env.timing.firstDeltaDelayMs, () => this.part.begin());
  }

  stop(end: EarlyEnd): void {
    if (this.finished) return;
    this.cancelTimer();
    this.finish(end.status, end.details);
  }

  /**
   * Ends the response here as `completed` and returns the rest of its speech, for the split fault
   * (S-10): the session continues it in a new response that no response.create asked for.
   */
  split(): { text: string; pcm: Int16Array } | undefined {
    if (this.finished || !this.part.started) return undefined;
    const rest = this.part.remainder;
    this.finish('completed');
    return rest.pcm.length > 0 ? rest : undefined;
  }

  abandon(): void {
    this.cancelTimer();
    this.part.abandon();
    this.finished = true;
  }

  private finish(status: ResponseStatus, details?: StatusDetails): void {
    this.finished = true;
    const output = this.part.started ? [this.part.close(status === 'completed' ? 'completed' : 'incomplete')] : [];
    const text = this.part.text;
    const audioMs = this.part.audioMs;
    const usage = this.env.hooks.usage({ text, audioMs: this.part.hasAudio ? audioMs : undefined });
    this.env.send({ type: 'response.done', response: responseObject(this.env, this.id, status, output, usage, details) });
    this.env.hooks.onFinished({
      id: this.id,
      index: this.index,
      kind: 'speech',
      source: this.reply.source,
      status,
      text,
      audioMs,
      audioDeltas: this.part.sentDeltas,
      plannedAudioMs: this.part.plannedAudioMs,
      firstAudioAtMs: this.part.firstAudioAtMs,
    });
  }
}
