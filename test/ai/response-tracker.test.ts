import { describe, expect, it } from 'vitest';
import { ResponseTracker } from '../../src/ai/response-tracker.js';
import { ManualClock } from './support/qwen-harness.js';

function tracker(): { responses: ResponseTracker; clock: ManualClock } {
  const clock = new ManualClock();
  return { responses: new ResponseTracker(clock.nowMs, 5_000), clock };
}

describe('ResponseTracker', () => {
  it('queues one create while a response is in flight, merging instructions', () => {
    const { responses } = tracker();
    expect(responses.requestCreate('greet')).toEqual({ type: 'create', instructions: 'greet' });
    expect(responses.requestCreate('goodbye')).toBeUndefined();
    expect(responses.requestCreate()).toBeUndefined(); // a tool result must not erase the goodbye
    expect(responses.onCreated('resp_1')).toEqual({});
    expect(responses.onDone('resp_1')).toEqual({ type: 'create', instructions: 'goodbye' });
    expect(responses.phase).toEqual({ kind: 'requested', cancelOnCreated: false, seq: 2 });
    expect(responses.hasPendingCreate).toBe(false);
  });

  it('treats a response the server started by itself as in flight', () => {
    const { responses } = tracker();
    responses.onCreated('resp_vad');
    expect(responses.requestCreate('x')).toBeUndefined();
    expect(responses.onDone('resp_other')).toBeUndefined();
    expect(responses.onDone('resp_vad')).toEqual({ type: 'create', instructions: 'x' });
  });

  it('cancels only an announced response, once, and remembers it', () => {
    const { responses } = tracker();
    expect(responses.requestCancel()).toBeUndefined();
    responses.onCreated('resp_1');
    expect(responses.requestCancel()).toEqual({ type: 'cancel', responseId: 'resp_1' });
    expect(responses.requestCancel()).toBeUndefined();
    expect(responses.isCancelled('resp_1')).toBe(true);
    expect(responses.isCancelled('resp_2')).toBe(false);
  });

  it('defers a cancel asked for before response.created', () => {
    const { responses } = tracker();
    responses.requestCreate();
    expect(responses.requestCancel()).toBeUndefined();
    expect(responses.onCreated('resp_1')).toEqual({ command: { type: 'cancel', responseId: 'resp_1' } });
  });

  it('takes one error within the window after a cancel as its answer', () => {
    const { responses, clock } = tracker();
    responses.onCreated('resp_1');
    responses.requestCancel();
    responses.onDone('resp_1');
    clock.advance(4_000);
    expect(responses.onError('response_cancel_not_active Cancellation failed: no active response found.')).toEqual({ kind: 'cancel_race' });
    expect(responses.onError('400 Cancellation failed: no active response found.')).toEqual({ kind: 'other' });
  });

  it('does not take an unrelated error after a cancel for its answer (it may be the next response\'s)', () => {
    const { responses, clock } = tracker();
    responses.onCreated('resp_1');
    responses.requestCancel();
    responses.onDone('resp_1');
    clock.advance(100);
    expect(responses.onError("400 Voice 'Cherry' is not supported.")).toEqual({ kind: 'other' });
  });

  it('reports an error after the window as a real error', () => {
    const { responses, clock } = tracker();
    responses.onCreated('resp_1');
    responses.requestCancel();
    clock.advance(5_001);
    expect(responses.onError('no active response')).toEqual({ kind: 'other' });
  });

  it('unblocks after an error that most likely rejected our create', () => {
    const { responses } = tracker();
    responses.requestCreate('greet');
    responses.requestCreate('retry');
    expect(responses.onError('500 COMMON_ERROR')).toEqual({ kind: 'create_failed', command: { type: 'create', instructions: 'retry' } });
    expect(responses.onError('500 COMMON_ERROR')).toEqual({ kind: 'create_failed' });
    expect(responses.phase).toEqual({ kind: 'idle' });
  });

  it('gives up on a request the server never answers, and sends the queued one', () => {
    const { responses } = tracker();
    responses.requestCreate('greet');
    const seq = responses.lastRequestSeq;
    responses.requestCreate('goodbye');
    expect(responses.expireRequest(seq + 1)).toEqual({ expired: false });
    expect(responses.expireRequest(seq)).toEqual({ expired: true, command: { type: 'create', instructions: 'goodbye' } });
    responses.onCreated('resp_1');
    expect(responses.expireRequest(responses.lastRequestSeq)).toEqual({ expired: false });
  });

  it('marks a response superseded by a new response.created as unwanted', () => {
    const { responses } = tracker();
    responses.onCreated('resp_1');
    expect(responses.onCreated('resp_2')).toEqual({ superseded: 'resp_1' });
    expect(responses.isCancelled('resp_1')).toBe(true);
    expect(responses.activeResponseId).toBe('resp_2');
  });
});
