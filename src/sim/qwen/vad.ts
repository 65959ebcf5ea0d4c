/**
 * Server-side voice activity detection on the 16 kHz PCM16 input: an energy detector over 20 ms
 * windows. Positions are in audio time (samples appended since the session started), never wall
 * time, so a client that sends audio faster than real time gets the same events.
 *
 * Threshold mapping: the session's `threshold` (-1.0 … 1.0, higher = less sensitive) maps linearly
 * onto a window RMS level in dBFS:  thresholdDbfs = -45 + 25 × threshold
 *   -1.0 → -70 dBFS (reacts to line noise)   0.0 → -45 dBFS   0.5 (default) → -32.5 dBFS
 *    1.0 → -20 dBFS (only loud, close speech)
 * Telephone speech sits around -15 … -30 dBFS RMS in voiced windows and line noise below -50 dBFS,
 * so the default separates them, and raising the threshold (the documented remedy for echo and
 * noise) really does make the detector less sensitive.
 */

export const VAD_WINDOW_MS = 20;
/** Loud windows needed in a row before speech counts as started: rejects clicks and pops. */
export const MIN_SPEECH_MS = 60;

export function thresholdToDbfs(threshold: number): number {
  return -45 + 25 * threshold;
}

export interface VadSettings {
  threshold: number;
  silenceDurationMs: number;
  sampleRateHz: number;
}

export type VadEvent =
  /** `startSample`: first sample of the first loud window of the run. */
  | { type: 'speech_started'; startSample: number; audioStartMs: number }
  /** `endSample`: end of the last loud window; `detectedAtSample`: where the silence ran out. */
  | { type: 'speech_stopped'; endSample: number; audioEndMs: number; detectedAtSample: number };

export class EnergyVad {
  private readonly windowSamples: number;
  private readonly thresholdDbfs: number;
  private readonly silenceWindows: number;
  private readonly minSpeechWindows: number;
  private windowEnergy = 0; // sum of squares of the samples of the window being filled
  private windowFill = 0;
  private windowStart = 0; // absolute index of the first sample of the window being filled
  private inSpeech = false;
  private loudRun = 0;
  private loudRunStart = 0;
  private quietRun = 0;
  private lastLoudEnd = 0;

  constructor(private readonly settings: VadSettings, startSample = 0) {
    this.windowSamples = Math.round((settings.sampleRateHz * VAD_WINDOW_MS) / 1000);
    this.thresholdDbfs = thresholdToDbfs(settings.threshold);
    this.silenceWindows = Math.ceil(settings.silenceDurationMs / VAD_WINDOW_MS);
    this.minSpeechWindows = Math.ceil(MIN_SPEECH_MS / VAD_WINDOW_MS);
    this.windowStart = startSample;
  }

  get speaking(): boolean {
    return this.inSpeech;
  }

  /** Feeds samples that directly follow the previous ones; returns the events they complete. */
  push(samples: Int16Array): VadEvent[] {
    const events: VadEvent[] = [];
    for (const sample of samples) {
      this.windowEnergy += sample * sample;
      this.windowFill++;
      if (this.windowFill === this.windowSamples) {
        this.processWindow(events);
        this.windowEnergy = 0;
        this.windowFill = 0;
        this.windowStart += this.windowSamples;
      }
    }
    return events;
  }

  private msAt(sample: number): number {
    return Math.round((sample * 1000) / this.settings.sampleRateHz);
  }

  private processWindow(events: VadEvent[]): void {
    const rms = Math.sqrt(this.windowEnergy / this.windowSamples);
    const dbfs = rms > 0 ? 20 * Math.log10(rms / 32768) : -Infinity;
    const windowEnd = this.windowStart + this.windowSamples;
    if (dbfs >= this.thresholdDbfs) {
      if (this.loudRun === 0) this.loudRunStart = this.windowStart;
      this.loudRun++;
      this.quietRun = 0;
      this.lastLoudEnd = windowEnd;
      if (!this.inSpeech && this.loudRun >= this.minSpeechWindows) {
        this.inSpeech = true;
        const startSample = this.loudRunStart;
        events.push({ type: 'speech_started', startSample, audioStartMs: this.msAt(startSample) });
      }
      return;
    }
    this.loudRun = 0;
    if (!this.inSpeech) return;
    this.quietRun++;
    if (this.quietRun >= this.silenceWindows) {
      this.inSpeech = false;
      this.quietRun = 0;
      events.push({
        type: 'speech_stopped',
        endSample: this.lastLoudEnd,
        audioEndMs: this.msAt(this.lastLoudEnd),
        detectedAtSample: windowEnd,
      });
    }
  }
}
