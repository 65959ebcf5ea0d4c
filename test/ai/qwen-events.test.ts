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
    expect(parsed).toMatchObject({
      kind: 'event',
      event: { responseId: 'resp_1', call: { arguments: '{"department": "sales"}', callId: 'call_1', name: 'transfer_call' } },
    });
  });

  it('reads a function call from output_item.done too, and ignores other items there', () => {
    expect(
      parseServerFrame(
        frame({
          type: 'response.output_item.done',
          response_id: 'resp_1',
          item: { id: 'item_1', type: 'function_call', status: 'completed', call_id: 'call_1', name: 'end_call', arguments: ' {}' },
        }),
      ),
    ).toEqual({
      kind: 'event',
      event: { type: 'response.output_item.done', responseId: 'resp_1', call: { callId: 'call_1', name: 'end_call', arguments: '{}' } },
    });
    expect(parseServerFrame(frame({ type: 'response.output_item.done', item: { type: 'message', content: [] } }))).toMatchObject({
      kind: 'event',
      event: { call: undefined },
    });
  });

  it('accepts a function call and deltas without item_id or response_id (the session fills in the response in flight)', () => {
    expect(parseServerFrame(frame({ type: 'response.function_call_arguments.done', call_id: 'c', name: 'end_call', arguments: '{}' }))).toMatchObject({
      kind: 'event',
      event: { responseId: '', call: { callId: 'c' } },
    });
    expect(parseServerFrame(frame({ type: 'response.audio.delta', delta: 'AAAA' }))).toMatchObject({
      kind: 'event',
      event: { responseId: '', itemId: '', audioBase64: 'AAAA' },
    });
    expect(parseServerFrame(frame({ type: 'input_audio_buffer.speech_stopped' }))).toMatchObject({ kind: 'event', event: { itemId: '', audioEndMs: 0 } });
  });

  it('takes the response.done id from response_id when response.id is missing, and keeps status_details', () => {
    const parsed = parseServerFrame(
      frame({
        type: 'response.done',
        response_id: 'resp_7',
        response: { status: 'cancelled', status_details: { type: 'cancelled', reason: 'turn_detected' } },
      }),
    );
    expect(parsed).toMatchObject({ kind: 'event', event: { responseId: 'resp_7', status: 'cancelled', statusDetails: 'cancelled: turn_detected' } });
  });

  it.each([
    ['response.output_audio.delta', 'response.audio.delta'],
    ['response.output_audio_transcript.delta', 'response.audio_transcript.delta'],
    ['response.output_audio.done', 'response.audio.done'],
  ])('accepts the GA name %s as %s', (alias, canonical) => {
    const parsed = parseServerFrame(frame({ type: alias, response_id: 'r', item_id: 'i', delta: 'AAAA' }));
    expect(parsed).toMatchObject({ kind: 'event', event: { type: canonical } });
  });

  it('reads the .text variant of the caller transcription preview, with the live service\'s empty text and cumulative stash', () => {
    expect(
      parseServerFrame(frame({ type: 'conversation.item.input_audio_transcription.text', item_id: 'item_1', text: '', stash: 'I would like to' })),
    ).toEqual({
      kind: 'event',
      event: { type: 'conversation.item.input_audio_transcription.delta', itemId: 'item_1', preview: 'I would like to' },
    });
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
        statusDetails: '',
        usage: { inputTokens: 290, outputTokens: 10, inputAudioTokens: 0, outputAudioTokens: 0 },
        calls: [{ callId: 'call_1', name: 'transfer_call', arguments: '{}' }],
      },
    });
  });

  it('keeps a response.done whose usage is unreadable, without the usage', () => {
    const parsed = parseServerFrame(
      frame({ type: 'response.done', response: { id: 'resp_1', status: 'cancelled', usage: { input_tokens: 'many' } } }),
    );
    expect(parsed).toEqual({
      kind: 'event',
      event: { type: 'response.done', responseId: 'resp_1', status: 'cancelled', statusDetails: '', usage: undefined, calls: [] },
    });
  });

  it('keeps an error event with missing fields', () => {
    expect(parseServerFrame(frame({ type: 'error', error: { message: 'bad' } }))).toEqual({
      kind: 'event',
      event: { type: 'error', errorType: '', code: '', message: 'bad', param: '', status: '' },
    });
  });

  it('never drops an error: numeric codes and statuses become text, odd fields are ignored', () => {
    expect(
      parseServerFrame(frame({ type: 'error', error: { code: 400, status: 400, message: "Voice 'Cherry' is not supported.", param: null, type: 7 } })),
    ).toEqual({
      kind: 'event',
      event: { type: 'error', errorType: '7', code: '400', message: "Voice 'Cherry' is not supported.", param: '', status: '400' },
    });
    expect(parseServerFrame(frame({ type: 'error', error: 'COMMON_ERROR' }))).toMatchObject({ kind: 'event', event: { type: 'error' } });
    expect(parseServerFrame(frame({ type: 'error', error: { param: { nested: true } } }))).toMatchObject({ kind: 'event', event: { type: 'error', param: '' } });
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

  it('ignores rate_limits.updated quietly', () => {
    expect(parseServerFrame(frame({ type: 'rate_limits.updated', rate_limits: [] }))).toEqual({ kind: 'unused', type: 'rate_limits.updated' });
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
