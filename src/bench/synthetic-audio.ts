/**
 * Audio the load driver sends: prebuilt once, cycled through, so that producing the load costs
 * the driver almost nothing. The content does not change what the bridge's media work costs (its
 * resamplers and codecs do the same arithmetic for any samples), so no recordings are needed.
 */

export const CALLER_FRAME_BYTES = 160;
export const MODEL_OUTPUT_RATE_HZ = 24_000;

function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 0x1_0000_0000;
  };
}

/**
 * 20 ms mu-law frames of quiet line noise, base64 as in a Twilio media event. Mu-law codes
 * 0x70–0x7F and 0xF0–0xFF are the smallest negative and positive steps (a few LSB).
 */
export function callerFramesBase64(variants: number): string[] {
  const random = lcg(0x51ed);
  return Array.from({ length: variants }, () => {
    const frame = Buffer.alloc(CALLER_FRAME_BYTES);
    for (let i = 0; i < frame.length; i++) {
      const step = Math.floor(random() * 16);
      frame[i] = (random() < 0.5 ? 0x70 : 0xf0) | step;
    }
    return frame.toString('base64');
  });
}

/** Voice-like 24 kHz PCM16 (a fundamental with harmonics and noise), `deltaMs` per delta, base64. */
export function modelDeltasBase64(variants: number, deltaMs: number): string[] {
  const random = lcg(0xa11ce);
  const samples = (MODEL_OUTPUT_RATE_HZ * deltaMs) / 1000;
  let phase = 0;
  return Array.from({ length: variants }, (_, v) => {
    const pcm = Buffer.alloc(samples * 2);
    const pitchHz = 120 + 15 * v;
    for (let n = 0; n < samples; n++) {
      phase += (2 * Math.PI * pitchHz) / MODEL_OUTPUT_RATE_HZ;
      const voiced = Math.sin(phase) + 0.5 * Math.sin(2 * phase) + 0.25 * Math.sin(7 * phase);
      pcm.writeInt16LE(Math.round(5000 * voiced + 600 * (random() - 0.5)), n * 2);
    }
    return pcm.toString('base64');
  });
}

/** Bytes a base64 string decodes to, without decoding it. */
export function base64DecodedBytes(base64: string): number {
  const padding = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
  return (base64.length / 4) * 3 - padding;
}
