import { describe, expect, it } from 'vitest';
import {
  AudioForkDecoder,
  decodeAudioForkMetadata,
  encodeAudioForkAudio,
  encodeAudioForkKillAudio,
  encodeAudioForkMark,
} from '../../../src/media/protocols/audio-fork.js';

/** What jambonz `listen` sends first: call webhook attributes plus sampleRate and mixType. */
const JAMBONZ_METADATA = {
  sampleRate: 16000,
  mixType: 'mono',
  callSid: 'b3b7a1e2-0000-4000-8000-000000000001',
  direction: 'inbound',
  from: '15559998888',
  to: '15550001111',
  callId: 'sip-call-id@10.0.0.1',
  accountSid: 'acct-1',
  traceId: 'abc',
  agent: 'support',
};

function le16(samples: number[]): Buffer {
  const bytes = Buffer.alloc(samples.length * 2);
  samples.forEach((s, i) => bytes.writeInt16LE(s, i * 2));
  return bytes;
}

describe('audio-fork codec: metadata', () => {
  it('maps jambonz fields explicitly and keeps every scalar as an attribute', () => {
    const result = decodeAudioForkMetadata(JSON.stringify(JAMBONZ_METADATA));
    expect(result).toEqual({
      ok: true,
      message: {
        sampleRateHz: 16000,
        identity: {
          externalId: JAMBONZ_METADATA.callSid,
          to: '15550001111',
          from: '15559998888',
          transport: 'audio_fork',
          attributes: {
            sampleRate: '16000',
            mixType: 'mono',
            callSid: JAMBONZ_METADATA.callSid,
            direction: 'inbound',
            from: '15559998888',
            to: '15550001111',
            callId: 'sip-call-id@10.0.0.1',
            accountSid: 'acct-1',
            traceId: 'abc',
            agent: 'support',
          },
        },
      },
    });
  });

  it('accepts the other spellings a drachtio-fsmrf app may use, and SIP URIs as numbers', () => {
    const result = decodeAudioForkMetadata(
      JSON.stringify({ uuid: 'fs-uuid-1', calledNumber: 'sip:+15550001111@pbx.example.com;user=phone', caller: '<sip:alice@x>', sampling: '16k' }),
    );
    expect(result.ok && result.message.identity).toMatchObject({ externalId: 'fs-uuid-1', to: '+15550001111', from: 'alice' });
    expect(result.ok && result.message.sampleRateHz).toBe(16000);
  });

  it('defaults to 8000 Hz mono when the metadata does not say, as mod_audio_fork does', () => {
    const result = decodeAudioForkMetadata(JSON.stringify({ callSid: 'c1', to: '100' }));
    expect(result.ok && result.message.sampleRateHz).toBe(8000);
  });

  it.each([
    ['non-JSON', 'hello', 'malformed_json'],
    ['no call id', JSON.stringify({ to: '100' }), 'bad_message'],
    ['24 kHz', JSON.stringify({ callSid: 'c1', sampleRate: 24000 }), 'unsupported_format'],
    ['stereo', JSON.stringify({ callSid: 'c1', mixType: 'stereo' }), 'unsupported_format'],
    ['garbage rate', JSON.stringify({ callSid: 'c1', sampleRate: 'fast' }), 'unsupported_format'],
    ['a rate of the wrong type', JSON.stringify({ callSid: 'c1', sampleRate: { hz: 8000 } }), 'unsupported_format'],
    ['a rate of null', JSON.stringify({ callSid: 'c1', sampleRate: null }), 'unsupported_format'],
    ['a mixType of the wrong type', JSON.stringify({ callSid: 'c1', mixType: ['mono'] }), 'bad_message'],
    [
      'bidirectional rate differing from the stream rate',
      JSON.stringify({ callSid: 'c1', sampleRate: 8000, bidirectionalAudio: { sampleRate: 16000 } }),
      'unsupported_format',
    ],
  ])('refuses %s', (_name, text, kind) => {
    const result = decodeAudioForkMetadata(text);
    expect(!result.ok && result.violation.kind).toBe(kind);
  });
});

describe('audio-fork codec: stream', () => {
  const started = (): AudioForkDecoder => {
    const decoder = new AudioForkDecoder();
    const first = decoder.decode({ kind: 'text', text: JSON.stringify({ callSid: 'c1', to: '100' }) });
    expect(first.ok && first.message.type).toBe('metadata');
    return decoder;
  };

  it('refuses a second metadata frame: a stream cannot become another call', () => {
    const result = started().decode({ kind: 'text', text: JSON.stringify({ callSid: 'c2', to: '200' }) });
    expect(!result.ok && result.violation.kind).toBe('out_of_order');
  });

  it('refuses audio before the metadata frame', () => {
    const result = new AudioForkDecoder().decode({ kind: 'binary', bytes: le16([1, 2]) });
    expect(!result.ok && result.violation.kind).toBe('out_of_order');
  });

  it('reassembles samples split at odd byte boundaries, in any chunking', () => {
    const samples = [0, 1, -1, 32767, -32768, 258, -258, 12345, -12345, 7];
    const bytes = le16(samples);
    for (const cuts of [[1], [3, 4], [1, 2, 3, 4, 5], [19]]) {
      const decoder = started();
      const out: number[] = [];
      let at = 0;
      for (const cut of [...cuts, bytes.length]) {
        const result = decoder.decode({ kind: 'binary', bytes: bytes.subarray(at, cut) });
        if (result.ok && result.message.type === 'audio') out.push(...result.message.pcm);
        at = cut;
      }
      expect(out, `cuts ${cuts.join(',')}`).toEqual(samples);
    }
  });

  it('decodes a frame that starts at an odd offset of its buffer (ws slices messages out of socket reads)', () => {
    const socketRead = Buffer.concat([Buffer.from([0xaa]), le16([1, -2, 0x1234])]);
    const frame = socketRead.subarray(1);
    expect(frame.byteOffset % 2).toBe(1);
    const result = started().decode({ kind: 'binary', bytes: frame });
    expect(result.ok && result.message.type === 'audio' && [...result.message.pcm]).toEqual([1, -2, 0x1234]);
  });

  it('decodes dtmf and mark echoes; unknown JSON is reported, not refused', () => {
    const decoder = started();
    const dtmf = decoder.decode({ kind: 'text', text: JSON.stringify({ event: 'dtmf', dtmf: '5', duration: '1600' }) });
    const mark = decoder.decode({
      kind: 'text',
      text: JSON.stringify({ type: 'mark', data: { name: 'r1', event: 'cleared' } }),
    });
    const other = decoder.decode({ kind: 'text', text: JSON.stringify({ type: 'playDone', data: {} }) });
    expect(dtmf).toEqual({ ok: true, message: { type: 'dtmf', digit: '5' } });
    expect(mark).toEqual({ ok: true, message: { type: 'mark', name: 'r1', markEvent: 'cleared' } });
    expect(other).toEqual({ ok: true, message: { type: 'other', name: 'playDone' } });
  });

  it('refuses non-JSON text after the metadata', () => {
    const result = started().decode({ kind: 'text', text: 'not json' });
    expect(!result.ok && result.violation.kind).toBe('malformed_json');
  });
});

describe('audio-fork codec: outbound', () => {
  it('writes L16 little-endian, killAudio and mark', () => {
    expect([...encodeAudioForkAudio(Int16Array.from([1, -2, 0x1234]))]).toEqual([1, 0, 0xfe, 0xff, 0x34, 0x12]);
    expect(JSON.parse(encodeAudioForkKillAudio())).toEqual({ type: 'killAudio' });
    expect(JSON.parse(encodeAudioForkMark('m1'))).toEqual({ type: 'mark', data: { name: 'm1' } });
  });
});
