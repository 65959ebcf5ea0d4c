/**
 * The keep-alive append: one second of zero PCM16 at 16 kHz (32,000 bytes), the size the Qwen
 * team's client sends while its microphone is muted. Encoded once; every keep-alive is the same.
 */
import { KEEP_ALIVE } from '../models/qwen-capabilities.js';
import { inputSamplesFor } from './qwen-audio-format.js';
import { inputAudioAppend, type QwenClientEvent } from './qwen-client-events.js';

let silenceBase64: string | undefined;

export function keepAliveAppend(): QwenClientEvent {
  silenceBase64 ??= Buffer.alloc(inputSamplesFor(KEEP_ALIVE.silenceMs) * 2).toString('base64');
  return inputAudioAppend(silenceBase64);
}
