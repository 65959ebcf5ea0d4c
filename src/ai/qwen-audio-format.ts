/**
 * The audio contract of Qwen-Omni-Realtime, in one place: what the session declares in
 * session.update and what the adapter reports through AiSession.
 */

/** `input_audio_buffer.append` carries PCM16 LE mono at this rate. */
export const QWEN_INPUT_RATE_HZ = 16_000;

/** `response.audio.delta` carries PCM16 LE mono at this rate; the service does not let it change. */
export const QWEN_OUTPUT_RATE_HZ = 24_000;

/** Current name for both directions; older docs say pcm16/pcm24, which we never send. */
export const QWEN_AUDIO_FORMAT = 'pcm';

/** Samples of input audio in `durationMs` (exact for any whole number of milliseconds at 16 kHz). */
export function inputSamplesFor(durationMs: number): number {
  return Math.round((durationMs * QWEN_INPUT_RATE_HZ) / 1000);
}
