/**
 * The input audio buffer (§5.2–5.4), tracked as a span of absolute sample positions. The simulator
 * never listens to the audio it commits (the script says what was "heard"), so it needs only how
 * much audio each user item holds (for `usage`) and where spans begin and end.
 */
import { pcm16FromBytes } from '../../audio/pcm.js';

export interface AudioSpan {
  startSample: number;
  endSample: number;
}

export class InputAudioBuffer {
  private start = 0;
  private end = 0;
  private pendingByte: number | undefined; // half a sample left over from an odd-length append

  constructor(private readonly sampleRateHz: number) {}

  /** Total samples appended in the session so far: the clock for audio_start_ms / audio_end_ms. */
  get endSample(): number {
    return this.end;
  }

  get isEmpty(): boolean {
    return this.end === this.start;
  }

  /** Appends little-endian PCM16 bytes and returns the whole samples they complete. */
  append(bytes: Buffer): Int16Array {
    let data = bytes;
    if (this.pendingByte !== undefined) {
      data = Buffer.concat([Buffer.from([this.pendingByte]), bytes]);
      this.pendingByte = undefined;
    }
    if (data.length % 2 === 1) {
      this.pendingByte = data[data.length - 1];
      data = data.subarray(0, data.length - 1);
    }
    const samples = pcm16FromBytes(data);
    this.end += samples.length;
    return samples;
  }

  /** While nobody speaks in VAD mode only the recent past matters (for prefix padding). */
  keepRecent(durationMs: number): void {
    this.start = Math.max(this.start, this.end - Math.round((durationMs * this.sampleRateHz) / 1000));
  }

  /** Commits [from, until) (clamped to what is buffered) and keeps what follows. */
  take(fromSample: number, untilSample: number = this.end): AudioSpan {
    const span = { startSample: Math.max(this.start, fromSample), endSample: Math.min(this.end, untilSample) };
    this.start = Math.max(span.endSample, this.start);
    return span;
  }

  /** Commits everything buffered. */
  takeAll(): AudioSpan {
    return this.take(this.start, this.end);
  }

  clear(): void {
    this.start = this.end;
  }

  durationMs(span: AudioSpan): number {
    return Math.round(((span.endSample - span.startSample) * 1000) / this.sampleRateHz);
  }
}
