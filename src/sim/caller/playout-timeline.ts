/**
 * What the caller actually hears: a model of the carrier's playout buffer (Twilio's, or
 * mod_audio_fork's streaming buffer) driven by the caller's clock.
 *
 * Audio from the bridge is queued and played at real time from when it arrives (or from when the
 * audio before it ends). Marks sit in the queue and are echoed when playout reaches them. `clear`
 * drops everything not yet played and echoes the pending marks at once. A sample counts as heard
 * only if its play time came before the clock reached it; audio that arrived but was cleared
 * first was never heard, which is exactly what barge-in tests need to measure.
 *
 * Pure: the caller passes the time in; nothing here reads a clock.
 */

type QueueItem = { kind: 'audio'; pcm: Int16Array; offset: number } | { kind: 'mark'; name: string };

export interface PlayoutStats {
  /** Call time (ms) when the first audible agent sample played. */
  firstAudibleHeardMs: number | undefined;
  /** Call time (ms) when the last audible agent sample finished playing. */
  lastAudibleHeardEndMs: number | undefined;
  receivedMs: number;
  heardMs: number;
  /** Received, then dropped by a clear before it played. */
  clearedMs: number;
  /** Call times (ms) at which a clear arrived. */
  clearsAtMs: number[];
}

export class PlayoutTimeline {
  readonly sampleRateHz: number;
  /** Peak below which a played chunk is treated as silence (comfort noise, padding). */
  readonly audibleThreshold: number;
  #queue: QueueItem[] = [];
  /** Call-time sample index at which the head of the queue plays. */
  #playheadSample = 0;
  #heard: Int16Array = new Int16Array(0);
  #heardLength = 0;
  #receivedSamples = 0;
  #heardSamples = 0;
  #clearedSamples = 0;
  #firstAudibleSample: number | undefined;
  #lastAudibleEndSample: number | undefined;
  #clearsAtMs: number[] = [];

  constructor(sampleRateHz: number, audibleThreshold = 64) {
    this.sampleRateHz = sampleRateHz;
    this.audibleThreshold = audibleThreshold;
  }

  /** Nothing is queued: whatever the bridge sent has played or been cleared. */
  get idle(): boolean {
    return this.#queue.length === 0;
  }

  receiveAudio(pcm: Int16Array, nowMs: number): string[] {
    const echoed = this.advanceTo(nowMs);
    if (pcm.length === 0) return echoed;
    if (this.#queue.length === 0) this.#playheadSample = Math.max(this.#playheadSample, this.#sampleAt(nowMs));
    this.#queue.push({ kind: 'audio', pcm, offset: 0 });
    this.#receivedSamples += pcm.length;
    return echoed;
  }

  /** A mark with nothing queued before it has already "played": Twilio echoes it at once. */
  receiveMark(name: string, nowMs: number): string[] {
    const echoed = this.advanceTo(nowMs);
    if (this.#queue.length === 0) return [...echoed, name];
    this.#queue.push({ kind: 'mark', name });
    return echoed;
  }

  /** Drop what has not played; returns the pending marks, which the carrier echoes now. */
  clear(nowMs: number): string[] {
    const echoed = this.advanceTo(nowMs);
    this.#clearsAtMs.push(nowMs);
    for (const item of this.#queue) {
      if (item.kind === 'audio') this.#clearedSamples += item.pcm.length - item.offset;
      else echoed.push(item.name);
    }
    this.#queue = [];
    return echoed;
  }

  /** Play everything due before `nowMs`; returns the marks playout reached, in order. */
  advanceTo(nowMs: number): string[] {
    const nowSample = this.#sampleAt(nowMs);
    const echoed: string[] = [];
    while (this.#queue.length > 0) {
      const head = this.#queue[0]!;
      if (head.kind === 'mark') {
        echoed.push(head.name);
        this.#queue.shift();
        continue;
      }
      const due = nowSample - this.#playheadSample;
      if (due <= 0) break;
      const count = Math.min(due, head.pcm.length - head.offset);
      this.#play(head.pcm.subarray(head.offset, head.offset + count));
      head.offset += count;
      if (head.offset === head.pcm.length) this.#queue.shift();
    }
    return echoed;
  }

  stats(): PlayoutStats {
    const ms = (samples: number) => (samples * 1000) / this.sampleRateHz;
    return {
      firstAudibleHeardMs: this.#firstAudibleSample === undefined ? undefined : ms(this.#firstAudibleSample),
      lastAudibleHeardEndMs: this.#lastAudibleEndSample === undefined ? undefined : ms(this.#lastAudibleEndSample),
      receivedMs: ms(this.#receivedSamples),
      heardMs: ms(this.#heardSamples),
      clearedMs: ms(this.#clearedSamples),
      clearsAtMs: [...this.#clearsAtMs],
    };
  }

  /** Everything heard, placed at the call time it played; silence where nothing did. */
  heardPcm(): Int16Array {
    return this.#heard.slice(0, this.#heardLength);
  }

  #play(chunk: Int16Array): void {
    const start = this.#playheadSample;
    const end = start + chunk.length;
    this.#ensureHeardCapacity(end);
    this.#heard.set(chunk, start);
    this.#heardLength = Math.max(this.#heardLength, end);
    this.#heardSamples += chunk.length;
    this.#playheadSample = end;

    let first = -1;
    let last = -1;
    for (let i = 0; i < chunk.length; i++) {
      if (Math.abs(chunk[i] ?? 0) >= this.audibleThreshold) {
        if (first < 0) first = i;
        last = i;
      }
    }
    if (first >= 0) {
      this.#firstAudibleSample ??= start + first;
      this.#lastAudibleEndSample = start + last + 1;
    }
  }

  #ensureHeardCapacity(samples: number): void {
    if (samples <= this.#heard.length) return;
    const grown = new Int16Array(Math.max(samples, this.#heard.length * 2, this.sampleRateHz));
    grown.set(this.#heard.subarray(0, this.#heardLength));
    this.#heard = grown;
  }

  #sampleAt(ms: number): number {
    return Math.floor((ms * this.sampleRateHz) / 1000);
  }
}
