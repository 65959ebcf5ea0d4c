import { describe, expect, it } from 'vitest';
import { parseServerFrame } from '../../src/ai/qwen-events.js';

const frame = (event: Record<string, unknown>): string => JSON.stringify({ event_id: 'event_1', ...event });

describe('parseServerFrame', () => {
  it('turns the caller transcription preview into text + stash', () => {
    expect(
      parseServerFrame(
        frame({
          type: 'conversation.item.input_audio_transcription.delta',
          item_id: 'item_1',
          content_index: 0,
          text: 'Hello, ',
          stash: 'I would like',
          language: 'en',
          emotion: 'neutral',
        }),
      ),
    ).toEqual({
      kind: 'event',
      event: { type: 'conversation.item.input_audio_transcription.delta', itemId: 'item_1', preview: 'Hello, I would like' },
    });
  });

  it('trims the arguments of a finished function call', () => {
    const parsed = parseServerFrame(
      frame({
        type: 'response.function_call_arguments.done',
        response_id: 'resp_1',
        item_id: 'item_1',
        output_index: 0,
        call_id: 'call_1',
        name: 'transfer_call',
        arguments: ' {"department": "sales"}',
      }),
    );
    expect(parsed).toMatchObject({ kind: 'event', event: { arguments: '{"department": "sales"}', callId: 'call_1' } });
  });

  it('reads usage from response.done, counting missing audio details as zero', () => {
    const parsed = parseServerFrame(
      frame({
        type: 'response.done',
        response: {
          id: 'resp_1',
          status: 'completed',
          output: [{ type: 'function_call', call_id: 'call_1', name: 'transfer_call', arguments: '{}' }],
          usage: { total_tokens: 300, input_tokens: 290, output_tokens: 10, output_tokens_details: { text_tokens: 10 } },
        },
      }),
    );
    expect(parsed).toEqual({
      kind: 'event',
      event: {
        type: 'response.done',
        responseId: 'resp_1',
        status: 'completed',
        usage: { inputTokens: 290, outputTokens: 10, inputAudioTokens: 0, outputAudioTokens: 0 },
      },
    });
  });

  it('keeps a response.done whose usage is unreadable, without the usage', () => {
    const parsed = parseServerFrame(
      frame({ type: 'response.done', response: { id: 'resp_1', status: 'cancelled', usage: { input_tokens: 'many' } } }),
    );
    expect(parsed).toEqual({ kind: 'event', event: { type: 'response.done', responseId: 'resp_1', status: 'cancelled', usage: undefined } });
  });

  it('keeps an error event with missing fields', () => {
    expect(parseServerFrame(frame({ type: 'error', error: { message: 'bad' } }))).toEqual({
      kind: 'event',
      event: { type: 'error', errorType: '', code: '', message: 'bad', param: '' },
    });
  });

  it('never loses speech_started to a missing detail', () => {
    expect(parseServerFrame(frame({ type: 'input_audio_buffer.speech_started' }))).toEqual({
      kind: 'event',
      event: { type: 'input_audio_buffer.speech_started', itemId: '', audioStartMs: 0 },
    });
  });

  it('keeps an unknown type as type + raw', () => {
    const raw = { event_id: 'event_1', type: 'response.new_feature', x: 1 };
    expect(parseServerFrame(JSON.stringify(raw))).toEqual({ kind: 'unknown', type: 'response.new_feature', raw });
  });

  it('tells documented but unused events apart from unknown ones', () => {
    expect(parseServerFrame(frame({ type: 'response.content_part.added', part: { type: 'audio' } }))).toEqual({
      kind: 'unused',
      type: 'response.content_part.added',
    });
  });

  it.each([
    ['invalid JSON', '{"type":', undefined],
    ['an array', '[1]', undefined],
    ['no type', '{"event_id":"e"}', undefined],
    ['a known type without its body', '{"type":"response.audio.delta","response_id":"r"}', 'response.audio.delta'],
  ])('reports %s as malformed', (_what, text, type) => {
    const parsed = parseServerFrame(text);
    expect(parsed.kind).toBe('malformed');
    expect(parsed).toMatchObject({ type });
  });

  it('names the missing field of a malformed known event', () => {
    const parsed = parseServerFrame(frame({ type: 'response.created', response: {} }));
    expect(parsed).toMatchObject({ kind: 'malformed', type: 'response.created' });
    expect(parsed.kind === 'malformed' ? parsed.reason : '').toContain('response.id');
  });
});
