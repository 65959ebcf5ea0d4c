import { describe, expect, it } from 'vitest';
import {
  decodeTwilioFrame,
  encodeTwilioClear,
  encodeTwilioMark,
  encodeTwilioMedia,
  twilioCallIdentity,
  type TwilioStart,
} from '../../../src/media/protocols/twilio.js';
import { twilioWire } from '../../../src/media/twilio-stream.js';

const text = (value: unknown) => ({ kind: 'text' as const, text: JSON.stringify(value) });
const startWithFormat = (mediaFormat: unknown) => text({ event: 'start', streamSid: 'MZ1', start: { callSid: 'CA1', mediaFormat } });

describe('twilio codec: inbound', () => {
  it('decodes start with custom parameters, coercing non-string values', () => {
    const result = decodeTwilioFrame(
      text({
        event: 'start',
        sequenceNumber: '1',
        streamSid: 'MZ1',
        start: {
          streamSid: 'MZ1',
          accountSid: 'AC1',
          callSid: 'CA1',
          tracks: ['inbound'],
          customParameters: { to: '+15550001111', attempt: 2, nested: { no: 1 } },
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
        },
      }),
    );
    expect(result).toEqual({
      ok: true,
      message: {
        event: 'start',
        streamSid: 'MZ1',
        start: {
          streamSid: 'MZ1',
          callSid: 'CA1',
          accountSid: 'AC1',
          tracks: ['inbound'],
          customParameters: { to: '+15550001111', attempt: '2' },
        },
      },
    });
  });

  it('decodes media payload bytes and keeps the track', () => {
    const payload = Buffer.from([0xff, 0x7f, 0x00, 0x80]);
    const result = decodeTwilioFrame(
      text({ event: 'media', streamSid: 'MZ1', media: { track: 'outbound', payload: payload.toString('base64') } }),
    );
    expect(result.ok && result.message).toMatchObject({ event: 'media', streamSid: 'MZ1', track: 'outbound' });
    expect(result.ok && result.message.event === 'media' && [...result.message.mulaw]).toEqual([0xff, 0x7f, 0x00, 0x80]);
  });

  it('decodes dtmf, mark, stop and connected; other events are reported, not refused', () => {
    const dtmf = decodeTwilioFrame(text({ event: 'dtmf', streamSid: 'MZ1', dtmf: { track: 'inbound_track', digit: '#' } }));
    const mark = decodeTwilioFrame(text({ event: 'mark', streamSid: 'MZ1', mark: { name: 'r1:7' } }));
    const stop = decodeTwilioFrame(text({ event: 'stop', streamSid: 'MZ1', stop: { callSid: 'CA1' } }));
    const connected = decodeTwilioFrame(text({ event: 'connected', protocol: 'Call', version: '1.0.0' }));
    const other = decodeTwilioFrame(text({ event: 'future-thing', streamSid: 'MZ1' }));
    expect(dtmf).toEqual({ ok: true, message: { event: 'dtmf', streamSid: 'MZ1', digit: '#' } });
    expect(mark).toEqual({ ok: true, message: { event: 'mark', streamSid: 'MZ1', name: 'r1:7' } });
    expect(stop).toEqual({ ok: true, message: { event: 'stop', streamSid: 'MZ1' } });
    expect(connected).toEqual({ ok: true, message: { event: 'connected' } });
    expect(other).toEqual({ ok: true, message: { event: 'other', name: 'future-thing' } });
  });

  it.each([
    ['binary frame', { kind: 'binary' as const, bytes: new Uint8Array([1, 2]) }, 'unexpected_binary'],
    ['non-JSON text', { kind: 'text' as const, text: '{"event":' }, 'malformed_json'],
    ['JSON array', text([1, 2]), 'bad_message'],
    ['no event', text({ streamSid: 'MZ1' }), 'bad_message'],
    ['start without callSid', text({ event: 'start', streamSid: 'MZ1', start: {} }), 'bad_message'],
    ['media with junk payload', text({ event: 'media', streamSid: 'MZ1', media: { payload: 'not base64!' } }), 'bad_message'],
    ['dtmf with two digits', text({ event: 'dtmf', streamSid: 'MZ1', dtmf: { digit: '12' } }), 'bad_message'],
    [
      'L16 stream',
      text({
        event: 'start',
        streamSid: 'MZ1',
        start: { callSid: 'CA1', mediaFormat: { encoding: 'audio/l16', sampleRate: 16000, channels: 1 } },
      }),
      'unsupported_format',
    ],
    ['a mediaFormat that is a string', text({ event: 'start', streamSid: 'MZ1', start: { callSid: 'CA1', mediaFormat: 'audio/x-mulaw' } }), 'bad_message'],
    ['a sampleRate that is text', startWithFormat({ encoding: 'audio/x-mulaw', sampleRate: 'eight thousand', channels: 1 }), 'bad_message'],
    ['a sampleRate that is an object', startWithFormat({ encoding: 'audio/x-mulaw', sampleRate: { hz: 8000 }, channels: 1 }), 'bad_message'],
    ['an encoding that is a number', startWithFormat({ encoding: 7, sampleRate: 8000, channels: 1 }), 'bad_message'],
    ['channels that are a list', startWithFormat({ encoding: 'audio/x-mulaw', sampleRate: 8000, channels: [1] }), 'bad_message'],
  ])('refuses %s', (_name, frame, kind) => {
    const result = decodeTwilioFrame(frame);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.violation.kind).toBe(kind);
    expect(!result.ok && result.violation.detail.length).toBeGreaterThan(0);
  });
});

describe('twilio codec: identity', () => {
  const start: TwilioStart = {
    streamSid: 'MZ1',
    callSid: 'CA1',
    accountSid: 'AC1',
    tracks: ['inbound'],
    customParameters: { To: '+15550001111', From: '+15559998888', agent: 'sales', callSid: 'spoofed' },
  };

  it('takes the dialed number from the custom parameters, and cannot be spoofed by them', () => {
    expect(twilioCallIdentity(start)).toEqual({
      externalId: 'CA1',
      to: '+15550001111',
      from: '+15559998888',
      transport: 'twilio',
      attributes: {
        To: '+15550001111',
        From: '+15559998888',
        agent: 'sales',
        callSid: 'CA1',
        streamSid: 'MZ1',
        accountSid: 'AC1',
      },
    });
  });

  it('prefers lower-case to and leaves to empty when nothing says it', () => {
    expect(twilioCallIdentity({ ...start, customParameters: { to: '+1', To: '+2' } }).to).toBe('+1');
    expect(twilioCallIdentity({ ...start, customParameters: {} }).to).toBe('');
  });
});

describe('twilio codec: outbound', () => {
  it('writes media, mark and clear with the streamSid', () => {
    expect(JSON.parse(encodeTwilioMedia('MZ1', new Uint8Array([0xff, 0x00])))).toEqual({
      event: 'media',
      streamSid: 'MZ1',
      media: { payload: Buffer.from([0xff, 0x00]).toString('base64') },
    });
    expect(JSON.parse(encodeTwilioMark('MZ1', 'm1'))).toEqual({ event: 'mark', streamSid: 'MZ1', mark: { name: 'm1' } });
    expect(JSON.parse(encodeTwilioClear('MZ1'))).toEqual({ event: 'clear', streamSid: 'MZ1' });
  });

  it('writes exactly what JSON.stringify would, whatever the streamSid holds', () => {
    const mulaw = new Uint8Array([0x7f, 0xff, 0x00, 0x80]);
    for (const streamSid of ['MZ1', 'MZ"quoted"\\slash', 'MZ\u2028line\nbreak', 'MZ\u00e9\ud83d\ude00']) {
      const expected = JSON.stringify({ event: 'media', streamSid, media: { payload: Buffer.from(mulaw).toString('base64') } });
      expect(encodeTwilioMedia(streamSid, mulaw)).toBe(expected);
    }
  });

  it('encodes only the bytes of a view, not its whole buffer', () => {
    const backing = new Uint8Array([1, 2, 3, 4, 5, 6]);
    const parsed = JSON.parse(encodeTwilioMedia('MZ1', backing.subarray(2, 4))) as { media: { payload: string } };
    expect([...Buffer.from(parsed.media.payload, 'base64')]).toEqual([3, 4]);
  });

  it('mu-law encodes each frame on its own when frame sizes change between sends', () => {
    const wire = twilioWire('MZ1');
    const payload = (frame: Int16Array) => {
      const sent = wire.audio(frame) as string;
      return [...Buffer.from((JSON.parse(sent) as { media: { payload: string } }).media.payload, 'base64')];
    };
    expect(payload(Int16Array.from([0, 32_124, -32_124, 0]))).toEqual([0xff, 0x80, 0x00, 0xff]);
    expect(payload(Int16Array.from([-32_124]))).toEqual([0x00]);
    expect(payload(Int16Array.from([0, 0]))).toEqual([0xff, 0xff]);
  });
});
