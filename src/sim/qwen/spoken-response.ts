/**
 * A response that speaks (§7 steps 3–5): response.created, then after the "thinking" delay
 * output_item.added, conversation.item.created, content_part.added, then audio deltas (~100 ms of
 * 24 kHz PCM16 each) interleaved with transcript deltas revealed in proportion to the audio sent,
 * then audio_transcript.done, audio.done, content_part.done, output_item.done, response.done.
 * With modalities ["text"] the same pacing drives response.text.delta / response.text.done.
 */
import { pcm16ToBase64 } from '../../audio/pcm.js';
import { newId } from './ids.js';
import type { CancelTimer } from './session-timers.js';
import type { AssistantContent, AssistantMessageItem, ItemStatus, ResponseStatus } from './server-events.js';
import { isAudioModality } from './session-config.js';
import { OUTPUT_SAMPLE_RATE_HZ } from './speech-audio.js';
import {
  delayUntilStep,
  deltaIntervalMs,
  responseObject,
  type ActiveResponse,
  type EndedEarlyStatus,
  type ResponseEnvironment,
  type ResponseSource,
} from './responses.js';

export interface SpokenReply {
  text: string;
  pcm: Int16Array;
  source: ResponseSource;
}

type Phase = 'thinking' | 'streaming' | 'finished';

export class SpokenResponse implements ActiveResponse {
  readonly id = newId('resp');
  private readonly itemId = newId('item');
  private readonly withAudio: boolean;
  private readonly words: string[];
  private readonly samplesPerDelta: number;
  private readonly deltaCount: number;
  private phase: Phase = 'thinking';
  private cancelTimer: CancelTimer = () => undefined;
  private streamStartedAtMs = 0;
  private firstAudioAtMs: number | undefined;
  private sentSamples = 0;
  private sentDeltas = 0;
  private revealedWords = 0;

  constructor(
    private readonly env: ResponseEnvironment,
    readonly index: number,
    private readonly reply: SpokenReply,
  ) {
    this.withAudio = isAudioModality(env.config);
    // Leading whitespace stays on each word, so the deltas concatenate back to the exact text.
    this.words = reply.text.trim().match(/\s*\S+/g) ?? [];
    this.samplesPerDelta = Math.max(1, Math.round((env.timing.audioDeltaMs * OUTPUT_SAMPLE_RATE_HZ) / 1000));
    this.deltaCount = Math.max(1, Math.ceil(reply.pcm.length / this.samplesPerDelta));
  }

  start(): void {
    this.env.send({ type: 'response.created', response: responseObject(this.env, this.id, 'in_progress', []) });
    this.cancelTimer = this.env.timers.after(this.env.timing.firstDeltaDelayMs, () => this.openItem());
  }

  stop(status: EndedEarlyStatus): void {
    if (this.phase === 'finished') return;
    this.cancelTimer();
    this.finish(status);
  }

  abandon(): void {
    this.cancelTimer();
    this.phase = 'finished';
  }

  private get ref() {
    return { response_id: this.id, item_id: this.itemId, output_index: 0, content_index: 0 };
  }

  private item(status: ItemStatus, content: AssistantContent[]): AssistantMessageItem {
    return { id: this.itemId, object: 'realtime.item', type: 'message', status, role: 'assistant', content };
  }

  private get partType(): 'audio' | 'text' {
    return this.withAudio ? 'audio' : 'text';
  }

  private openItem(): void {
    this.phase = 'streaming';
    const added = this.item('in_progress', []);
    this.env.send({ type: 'response.output_item.added', response_id: this.id, output_index: 0, item: added });
    this.env.send({ type: 'conversation.item.created', item: structuredClone(added) });
    this.env.send({ type: 'response.content_part.added', ...this.ref, part: { type: this.partType, text: '' } });
    this.streamStartedAtMs = Date.now();
    this.sendStep(0);
  }

  private revealedText(): string {
    return this.words.slice(0, this.revealedWords).join('');
  }

  /** Reveals the words whose start falls inside the audio sent so far (all of them at the end). */
  private transcriptDelta(step: number): string {
    const isLast = step === this.deltaCount - 1;
    const fraction = isLast ? 1 : (step + 1) / this.deltaCount;
    const totalChars = this.words.reduce((n, w) => n + w.length, 0);
    let revealedChars = this.revealedText().length;
    let delta = '';
    while (this.revealedWords < this.words.length && (isLast || revealedChars < fraction * totalChars)) {
      const word = this.words[this.revealedWords] ?? '';
      delta += word;
      revealedChars += word.length;
      this.revealedWords++;
    }
    return delta;
  }

  private sendStep(step: number): void {
    if (this.phase !== 'streaming') return;
    const text = this.transcriptDelta(step);
    if (text !== '') {
      this.env.send(
        this.withAudio
          ? { type: 'response.audio_transcript.delta', ...this.ref, delta: text }
          : { type: 'response.text.delta', ...this.ref, delta: text },
      );
    }
    if (this.withAudio) {
      const chunk = this.reply.pcm.subarray(step * this.samplesPerDelta, (step + 1) * this.samplesPerDelta);
      if (chunk.length > 0) {
        this.env.send({ type: 'response.audio.delta', ...this.ref, delta: pcm16ToBase64(chunk) });
        this.firstAudioAtMs ??= Date.now();
        this.sentSamples += chunk.length;
        this.sentDeltas++;
        this.env.hooks.onAudioDelta(this.index, this.sentDeltas);
        // A fault hook may have dropped the socket or the caller may have barged in meanwhile.
        if (this.phase !== 'streaming' || !this.env.isOpen()) return;
      }
    }
    const next = step + 1;
    if (next >= this.deltaCount) {
      this.finish('completed');
      return;
    }
    const delay = delayUntilStep(this.streamStartedAtMs, next, deltaIntervalMs(this.env.timing));
    this.cancelTimer = this.env.timers.after(delay, () => this.sendStep(next));
  }

  private finish(status: ResponseStatus): void {
    const wasStreaming = this.phase === 'streaming';
    this.phase = 'finished';
    const text = this.revealedText();
    const audioMs = Math.round((this.sentSamples * 1000) / OUTPUT_SAMPLE_RATE_HZ);
    const output = [];
    if (wasStreaming) {
      const itemStatus: ItemStatus = status === 'completed' ? 'completed' : 'incomplete';
      const content: AssistantContent = this.withAudio ? { type: 'audio', transcript: text } : { type: 'text', text };
      if (this.withAudio) {
        this.env.send({ type: 'response.audio_transcript.done', ...this.ref, transcript: text });
        this.env.send({ type: 'response.audio.done', ...this.ref });
      } else {
        this.env.send({ type: 'response.text.done', ...this.ref, text });
      }
      this.env.send({ type: 'response.content_part.done', ...this.ref, part: { type: this.partType, text } });
      const done = this.item(itemStatus, [content]);
      this.env.send({ type: 'response.output_item.done', response_id: this.id, output_index: 0, item: done });
      output.push(structuredClone(done));
    }
    const usage = this.env.hooks.usage({ text, audioMs: this.withAudio ? audioMs : undefined });
    this.env.send({ type: 'response.done', response: responseObject(this.env, this.id, status, output, usage) });
    this.env.hooks.onFinished({
      id: this.id,
      index: this.index,
      kind: 'speech',
      source: this.reply.source,
      status,
      text,
      audioMs,
      audioDeltas: this.sentDeltas,
      plannedAudioMs: Math.round((this.reply.pcm.length * 1000) / OUTPUT_SAMPLE_RATE_HZ),
      firstAudioAtMs: this.firstAudioAtMs,
    });
  }
}
