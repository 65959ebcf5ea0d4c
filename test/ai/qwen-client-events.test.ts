import { describe, expect, it } from 'vitest';
import { functionCallOutput, responseCreate, sessionUpdate } from '../../src/ai/qwen-client-events.js';
import { testProfile } from './support/qwen-harness.js';

describe('sessionUpdate', () => {
  it('maps semantic VAD, turns transcription off, and leaves out absent tools and temperature', () => {
    const event = sessionUpdate(
      testProfile({
        voice: 'Liora Mira',
        transcribeCaller: false,
        turnDetection: { type: 'semantic_vad', threshold: 0.7, prefixPaddingMs: 500, silenceDurationMs: 1_200 },
      }),
    );
    expect(event).toEqual({
      type: 'session.update',
      session: {
        modalities: ['text', 'audio'],
        voice: 'Liora Mira',
        input_audio_format: 'pcm',
        output_audio_format: 'pcm',
        instructions: 'You are the phone assistant for ACME. Keep answers short.',
        input_audio_transcription: null,
        turn_detection: { type: 'semantic_vad', threshold: 0.7, prefix_padding_ms: 500, silence_duration_ms: 1_200 },
      },
    });
  });

  it('sends idle_timeout_ms only when the profile sets it', () => {
    const event = sessionUpdate(testProfile());
    expect(event).toMatchObject({ session: { turn_detection: { type: 'server_vad' } } });
    expect(JSON.stringify(event)).not.toContain('idle_timeout_ms');
  });

  it('sends temperature 0, which is a value and not an absence', () => {
    expect(sessionUpdate(testProfile({ temperature: 0 }))).toMatchObject({ session: { temperature: 0 } });
  });
});

describe('other client events', () => {
  it('puts per-response instructions under response', () => {
    expect(responseCreate('Say goodbye.')).toEqual({ type: 'response.create', response: { instructions: 'Say goodbye.' } });
    expect(responseCreate()).toEqual({ type: 'response.create' });
  });

  it('builds a function_call_output item', () => {
    expect(functionCallOutput('call_1', '{"ok":true}')).toEqual({
      type: 'conversation.item.create',
      item: { type: 'function_call_output', call_id: 'call_1', output: '{"ok":true}' },
    });
  });
});
