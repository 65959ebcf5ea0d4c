/**
 * One spoken assistant message inside a response, at a given output index: output_item.added,
 * conversation.item.created, content_part.added, then audio deltas (~100 ms of 24 kHz PCM16 each)
 * interleaved with transcript deltas revealed in proportion to the audio sent, and on closing
 * audio_transcript.done, audio.done, content_part.done, output_item.done. With modalities
 * ["text"] the same pacing drives response.text.delta / response.text.done. Used for a spoken
 * answer and for the spoken preamble of a tool-call response.
 */
import { pcm16ToBase64 } from '../../audio/pcm.js';
import { newId } from './ids.js';
import type { CancelTimer } from './session-timers.js';
import type { AssistantContent, AssistantMessageItem, ItemStatus } from './server-events.js';
import { isAudioModality } from './session-config.js';
import { OUTPUT_SAMPLE_RATE_HZ } from './speech-audio.js';
import { delayUntilStep, deltaIntervalMs, type ResponseEnvironment } from './responses.js';

export interface SpeechPartEvents {
  /** After each audio delta (fault triggers count them); the part may have been cut meanwhile. */
  audioDelta(deltaCount: number): void;
  /** Everything has been streamed; the owner closes the part. */
  streamed(): void;
}

export class SpeechPart {
  readonly itemId = newId('item');
  private readonly withAudio: boolean;
  private readonly words: string[];
  private readonly samplesPerDelta: number;
  private readonly deltaCount: number;
  private state: 'idle' | 'streaming' | 'closed' = 'idle';
  private cancelTimer: CancelTimer = () => undefined;
  private streamStartedAtMs = 0;
  private revealedWords = 0;
  firstAudioAtMs: number | undefined;
  sentSamples = 0;
  sentDeltas = 0;

  constructor(
    private readonly env: ResponseEnvironment,
    private readonly responseId: string,
    private readonly outputIndex: number,
    private readonly speech: { text: string; pcm: Int16Array },
    private readonly events: SpeechPartEvents,
  ) {
    this.withAudio = isAudioModality(env.config);
    // Leading whitespace stays on each word, so the deltas concatenate back to the exact text.
    this.words = speech.text.trim().match(/\s*\S+/g) ?? [];
    this.samplesPerDelta = Math.max(1, Math.round((env.timing.audioDeltaMs * OUTPUT_SAMPLE_RATE_HZ) / 1000));
    this.deltaCount = Math.max(1, Math.ceil(speech.pcm.length / this.samplesPerDelta));
  }

  get started(): boolean {
    return this.state !== 'idle';
  }

  get text(): string {
    return this.words.slice(0, this.revealedWords).join('');
  }

  get audioMs(): number {
    return Math.round((this.sentSamples * 1000) / OUTPUT_SAMPLE_RATE_HZ);
  }

  get plannedAudioMs(): number {
    return Math.round((this.speech.pcm.length * 1000) / OUTPUT_SAMPLE_RATE_HZ);
  }

  /** What has not been streamed yet: the words not revealed and the audio not sent. */
  get remainder(): { text: string; pcm: Int16Array } {
    return { text: this.words.slice(this.revealedWords).join('').trim(), pcm: this.speech.pcm.subarray(this.sentSamples) };
  }

  get hasAudio(): boolean {
    return this.withAudio;
  }

  begin(): void {
    this.state = 'streaming';
    const added = this.item('in_progress', []);
    this.env.send({ type: 'response.output_item.added', response_id: this.responseId, output_index: this.outputIndex, item: added });
    this.env.send({ type: 'conversation.item.created', item: structuredClone(added) });
    this.env.send({ type: 'response.content_part.added', ...this.ref, part: { type: this.partType, text: '' } });
    this.streamStartedAtMs = Date.now();
    this.sendStep(0);
  }

  /** Sends the closing events (`completed` when fully streamed, else `incomplete`) and returns the item. */
  close(status: ItemStatus): AssistantMessageItem {
    this.cancelTimer();
    this.state = 'closed';
    const text = this.text;
    const content: AssistantContent = this.withAudio ? { type: 'audio', transcript: text } : { type: 'text', text };
    if (this.withAudio) {
      this.env.send({ type: 'response.audio_transcript.done', ...this.ref, transcript: text });
      this.env.send({ type: 'response.audio.done', ...this.ref });
    } else {
      this.env.send({ type: 'response.text.done', ...this.ref, text });
    }
    this.env.send({ type: 'response.content_part.done', ...this.ref, part: { type: this.partType, text } });
    const done = this.item(status, [content]);
    this.env.send({ type: 'response.output_item.done', response_id: this.responseId, output_index: this.outputIndex, item: done });
    return structuredClone(done);
  }

  /** Stops without a further event (the socket is gone, or the response is closing it). */
  abandon(): void {
    this.cancelTimer();
    this.state = 'closed';
  }

  private get ref() {
    return { response_id: this.responseId, item_id: this.itemId, output_index: this.outputIndex, content_index: 0 };
  }

  private get partType(): 'audio' | 'text' {
    return this.withAudio ? 'audio' : 'text';
  }

  private item(status: ItemStatus, content: AssistantContent[]): AssistantMessageItem {
    return { id: this.itemId, object: 'realtime.item', type: 'message', status, role: 'assistant', content };
  }

  /** Reveals the words whose start falls inside the audio sent so far (all of them at the end). */
  private transcriptDelta(step: number): string {
    const isLast = step === this.deltaCount - 1;
    const fraction = isLast ? 1 : (step + 1) / this.deltaCount;
    const totalChars = this.words.reduce((n, w) => n + w.length, 0);
    let revealedChars = this.text.length;
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
    if (this.state !== 'streaming') return;
    const text = this.transcriptDelta(step);
    if (text !== '') {
      this.env.send(
        this.withAudio
          ? { type: 'response.audio_transcript.delta', ...this.ref, delta: text }
          : { type: 'response.text.delta', ...this.ref, delta: text },
      );
    }
    if (this.withAudio) {
      const chunk = this.speech.pcm.subarray(step * this.samplesPerDelta, (step + 1) * this.samplesPerDelta);
      if (chunk.length > 0) {
        this.env.send({ type: 'response.audio.delta', ...this.ref, delta: pcm16ToBase64(chunk) });
        this.firstAudioAtMs ??= Date.now();
        this.sentSamples += chunk.length;
        this.sentDeltas++;
        this.events.audioDelta(this.sentDeltas);
        // A fault hook may have dropped the socket or the caller may have barged in meanwhile.
        if (this.state !== 'streaming' || !this.env.isOpen()) return;
      }
    }
    const next = step + 1;
    if (next >= this.deltaCount) {
      this.events.streamed();
      return;
    }
    const delay = delayUntilStep(this.streamStartedAtMs, next, deltaIntervalMs(this.env.timing));
    this.cancelTimer = this.env.timers.after(delay, () => this.sendStep(next));
  }
}
