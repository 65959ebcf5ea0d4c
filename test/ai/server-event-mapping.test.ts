import { describe, expect, it } from 'vitest';
import { toAiEvent } from '../../src/ai/server-event-mapping.js';
import { captureLogger } from './support/qwen-harness.js';

const delta = (bytes: number[]) =>
  ({
    type: 'response.audio.delta',
    responseId: 'resp_1',
    itemId: 'item_1',
    audioBase64: Buffer.from(bytes).toString('base64'),
  }) as const;

describe('audio deltas', () => {
  it('decode little-endian PCM16', () => {
    const { logger } = captureLogger();
    const event = toAiEvent(delta([0x01, 0x00, 0xfe, 0xff]), logger);
    expect(event?.type === 'audio' && [...event.pcm]).toEqual([1, -2]);
  });

  it('drop a trailing odd byte, say so, and keep the samples before it', () => {
    const log = captureLogger();
    const event = toAiEvent(delta([0x02, 0x00, 0x07]), log.logger);
    expect(event?.type === 'audio' && [...event.pcm]).toEqual([2]);
    expect(log.withMessage('odd byte at the end of an audio delta dropped')).toMatchObject([{ droppedBytes: 1 }]);
  });

  it('produce no event when nothing but an odd byte arrived', () => {
    expect(toAiEvent(delta([0x07]), captureLogger().logger)).toBeUndefined();
  });
});
