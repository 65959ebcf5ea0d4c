/**
 * The floor baseline: the least any Qwen bridge on a Twilio-dialect fork can do per frame, in
 * the same process and on the same load as the real bridge. Per caller connection it opens one
 * model socket and does only the unavoidable work, with the project's own primitives:
 *
 *   caller → model: fork JSON parse, base64 → mu-law bytes, G.711 decode, the FIR 8 → 16 kHz
 *   resampler, append batching (the bridge's batch size), base64 and JSON for the model;
 *   model → caller: JSON parse, base64 → PCM16, the FIR 24 → 8 kHz resampler, 20 ms framing,
 *   G.711 encode, base64 and JSON fork frames, sent at once.
 *
 * No call core, no pacing (frames go out as soon as a delta is cut), no validation beyond what
 * JSON.parse does, no ledger, metrics, logging or timers. A real bridge must pace, validate, keep
 * records and stop on barge-in, so it cannot reach this floor; bridge ÷ floor says how much the
 * rest costs. The model handshake is the plain relay's (session.update, then response.create).
 */
import type { RawData, WebSocket } from 'ws';
import { AppendBatcher } from '../ai/append-batcher.js';
import { Framer } from '../audio/framer.js';
import { mulawDecode, mulawEncode } from '../audio/g711.js';
import { pcm16FromBase64, pcm16ToBase64 } from '../audio/pcm.js';
import type { StreamResampler } from '../audio/resampler.js';
import { createResamplerFactory } from '../audio/resampler-factory.js';
import { openModelFor, serveCallers, type PlainRelay } from './plain-relay.js';
import { wsText } from './ws-text.js';

const PHONE_HZ = 8000;
const FRAME_SAMPLES = 160;

interface FloorOptions {
  modelUrl: string;
  token: string;
  apiKey: string;
  /** The bridge's `calls.appendBatchMs`, so both send the model the same number of appends. */
  appendBatchMs: number;
}

function parsed(data: RawData): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(wsText(data));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

async function floorCall(caller: WebSocket, opts: FloorOptions): Promise<void> {
  const factory = createResamplerFactory('fir');
  const up: StreamResampler = await factory(PHONE_HZ, 16_000);
  const down: StreamResampler = await factory(24_000, PHONE_HZ);
  const model = openModelFor(caller, { modelUrl: opts.modelUrl, apiKey: opts.apiKey, model: 'floor-baseline' });
  let ready = false;
  let streamSid = '';
  const batcher = new AppendBatcher((16_000 * opts.appendBatchMs) / 1000, (pcm) => {
    model.send(JSON.stringify({ type: 'input_audio_buffer.append', audio: pcm16ToBase64(pcm) }));
  });
  const framer = new Framer(FRAME_SAMPLES);
  const pcm8k = new Int16Array(FRAME_SAMPLES);
  const mulaw = new Uint8Array(FRAME_SAMPLES);

  caller.on('message', (data: RawData) => {
    const msg = parsed(data);
    if (msg === undefined) return;
    if (msg.event === 'start') streamSid = String(msg.streamSid);
    if (msg.event !== 'media' || !ready) return;
    const media = msg.media as { payload: string };
    const bytes = Buffer.from(media.payload, 'base64');
    batcher.push(up.process(mulawDecode(bytes, pcm8k)));
  });
  model.on('message', (data: RawData) => {
    const msg = parsed(data);
    if (msg === undefined) return;
    if (msg.type === 'response.audio.delta') {
      for (const frame of framer.push(down.process(pcm16FromBase64(msg.delta as string)))) {
        const payload = Buffer.from(mulawEncode(frame, mulaw).buffer).toString('base64');
        caller.send(JSON.stringify({ event: 'media', streamSid, media: { payload } }));
      }
    } else if (msg.type === 'session.created') {
      model.send(JSON.stringify({ type: 'session.update', session: { modalities: ['text', 'audio'], voice: 'Tina' } }));
    } else if (msg.type === 'session.updated') {
      ready = true;
      model.send(JSON.stringify({ type: 'response.create' }));
    }
  });
  model.on('close', () => {
    up.dispose();
    down.dispose();
  });
}

export function startFloorBridge(opts: FloorOptions): Promise<PlainRelay> {
  return serveCallers(opts.token, (caller) => void floorCall(caller, opts));
}
