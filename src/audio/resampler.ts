/**
 * One streaming resampler interface for every direction of a call.
 *
 * An instance keeps filter history across `process` calls, so feeding a signal in any chunking
 * gives the same output as feeding it in one piece (no clicks at 20 ms boundaries).
 * One instance per direction per call; `reset()` after barge-in so a cancelled response's tail
 * does not leak into the next one.
 */
export interface StreamResampler {
  readonly fromHz: number;
  readonly toHz: number;
  /** Group delay plus buffering this resampler adds, in milliseconds. */
  readonly delayMs: number;
  /** Resample a chunk of PCM16 mono. The returned array is only valid until the next call. */
  process(input: Int16Array): Int16Array;
  /** Forget all history (as if freshly created). */
  reset(): void;
  /** Release resources; the instance must not be used afterwards. */
  dispose(): void;
}

export type ResamplerBackend = 'fir' | 'libsamplerate';

/** Creates resamplers; async because the libsamplerate backend can only be created that way. */
export type ResamplerFactory = (fromHz: number, toHz: number) => Promise<StreamResampler>;
