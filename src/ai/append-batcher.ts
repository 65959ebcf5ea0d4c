/**
 * Collects caller audio into fixed-size batches so the socket carries a few larger appends
 * instead of fifty 20 ms ones a second. Batches are cut by audio duration, not wall-clock time:
 * the core calls `flush()` when it wants a partial batch out (end of speech, a gap in the media).
 */
export class AppendBatcher {
  private readonly batch: Int16Array;
  private filledSamples = 0;

  /** `onBatch` gets a view that is only valid during the call: encode or copy it there. */
  constructor(
    batchSamples: number,
    private readonly onBatch: (pcm: Int16Array) => void,
  ) {
    if (!Number.isInteger(batchSamples) || batchSamples <= 0) {
      throw new RangeError(`batchSamples must be a positive integer, got ${batchSamples}`);
    }
    this.batch = new Int16Array(batchSamples);
  }

  get pendingSamples(): number {
    return this.filledSamples;
  }

  push(pcm: Int16Array): void {
    let readSamples = 0;
    while (readSamples < pcm.length) {
      const takeSamples = Math.min(this.batch.length - this.filledSamples, pcm.length - readSamples);
      this.batch.set(pcm.subarray(readSamples, readSamples + takeSamples), this.filledSamples);
      this.filledSamples += takeSamples;
      readSamples += takeSamples;
      if (this.filledSamples === this.batch.length) this.emit();
    }
  }

  flush(): void {
    if (this.filledSamples > 0) this.emit();
  }

  /** Forgets the partial batch and returns how many samples it held. */
  discard(): number {
    const discardedSamples = this.filledSamples;
    this.filledSamples = 0;
    return discardedSamples;
  }

  private emit(): void {
    const view = this.batch.subarray(0, this.filledSamples);
    this.filledSamples = 0;
    this.onBatch(view);
  }
}
