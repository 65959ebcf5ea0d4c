/**
 * Where in a recording someone was talking: 20 ms frames above a level, joined across short
 * pauses. What the test caller prints as "what it heard" when it cannot know the words.
 */

export interface HeardSegment {
  startMs: number;
  endMs: number;
}

const FRAME_MS = 20;
/** Line noise and comfort silence stay far below this (PCM16 RMS, about −40 dBFS). */
const SPEECH_RMS = 300;
/** Pauses shorter than this are inside one utterance. */
const JOIN_GAP_MS = 400;

export function heardSegments(pcm: Int16Array, sampleRateHz: number): HeardSegment[] {
  const frame = (sampleRateHz * FRAME_MS) / 1000;
  const segments: HeardSegment[] = [];
  for (let offset = 0; offset + frame <= pcm.length; offset += frame) {
    let energy = 0;
    for (let i = offset; i < offset + frame; i++) energy += pcm[i]! * pcm[i]!;
    if (Math.sqrt(energy / frame) < SPEECH_RMS) continue;
    const startMs = (offset / sampleRateHz) * 1000;
    const last = segments.at(-1);
    if (last !== undefined && startMs - last.endMs <= JOIN_GAP_MS) last.endMs = startMs + FRAME_MS;
    else segments.push({ startMs, endMs: startMs + FRAME_MS });
  }
  return segments;
}
