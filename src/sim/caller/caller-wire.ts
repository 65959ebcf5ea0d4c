/**
 * The simulated caller's side of the fork dialects, written from the carriers' documentation and
 * deliberately independent of src/media's codecs: a simulator that shared the bridge's codec
 * would agree with the bridge's mistakes.
 */
import alawmulaw from 'alawmulaw';

/** What the bridge asked the carrier to do. */
export type BridgeCommand =
  | { type: 'audio'; pcm: Int16Array }
  | { type: 'clear' }
  | { type: 'mark'; name: string }
  /** Something a real carrier would reject (Twilio errors 31950/31951); the report lists these. */
  | { type: 'invalid'; detail: string };

export interface CallIdentityOptions {
  callSid: string;
  /** The dialed number: Twilio gets it as a custom parameter, as the bridge's TwiML would pass it. */
  to: string;
  from: string;
  customParameters?: Record<string, string>;
}

export interface CallerWire {
  readonly dialect: 'twilio' | 'audio_fork';
  readonly sampleRateHz: number;
  /** Sub-protocols to offer on connect. */
  readonly protocols: string[];
  opening(): (string | Buffer)[];
  audio(pcm: Int16Array, timestampMs: number): string | Buffer;
  dtmf(digit: string): string;
  /** Report that playout reached a mark (`cleared`: a clear dropped the audio before it). */
  markEcho(name: string, cleared: boolean): string;
  /** The last frame before closing, if the dialect has one. */
  stop(): string | undefined;
  parse(data: Buffer, isBinary: boolean): BridgeCommand;
}

const TWILIO_RATE_HZ = 8000;

export function twilioCallerWire(id: CallIdentityOptions, streamSid: string): CallerWire {
  let sequenceNumber = 0;
  let chunk = 0;
  const seq = () => String(++sequenceNumber);
  const accountSid = 'ACsimulated0000000000000000000000';

  return {
    dialect: 'twilio',
    sampleRateHz: TWILIO_RATE_HZ,
    protocols: [],
    opening: () => [
      JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }),
      JSON.stringify({
        event: 'start',
        sequenceNumber: seq(),
        streamSid,
        start: {
          streamSid,
          accountSid,
          callSid: id.callSid,
          tracks: ['inbound'],
          customParameters: { ...id.customParameters, to: id.to, from: id.from },
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: TWILIO_RATE_HZ, channels: 1 },
        },
      }),
    ],
    audio: (pcm, timestampMs) =>
      JSON.stringify({
        event: 'media',
        sequenceNumber: seq(),
        streamSid,
        media: {
          track: 'inbound',
          chunk: String(++chunk),
          timestamp: String(Math.round(timestampMs)),
          payload: Buffer.from(alawmulaw.mulaw.encode(pcm)).toString('base64'),
        },
      }),
    dtmf: (digit) =>
      JSON.stringify({ event: 'dtmf', sequenceNumber: seq(), streamSid, dtmf: { track: 'inbound_track', digit } }),
    // Twilio does not distinguish played from cleared marks.
    markEcho: (name) => JSON.stringify({ event: 'mark', sequenceNumber: seq(), streamSid, mark: { name } }),
    stop: () =>
      JSON.stringify({ event: 'stop', sequenceNumber: seq(), streamSid, stop: { accountSid, callSid: id.callSid } }),
    parse(data, isBinary) {
      if (isBinary) return { type: 'invalid', detail: 'binary frame (Twilio accepts JSON text only)' };
      let msg: unknown;
      try {
        msg = JSON.parse(data.toString('utf8'));
      } catch {
        return { type: 'invalid', detail: 'text frame is not JSON' };
      }
      if (typeof msg !== 'object' || msg === null) return { type: 'invalid', detail: 'message is not an object' };
      const m = msg as { event?: unknown; streamSid?: unknown; media?: { payload?: unknown }; mark?: { name?: unknown } };
      if (m.streamSid !== streamSid) return { type: 'invalid', detail: `${String(m.event)} with wrong streamSid` };
      switch (m.event) {
        case 'media': {
          const payload = m.media?.payload;
          if (typeof payload !== 'string') return { type: 'invalid', detail: 'media without payload' };
          return { type: 'audio', pcm: alawmulaw.mulaw.decode(Buffer.from(payload, 'base64')) };
        }
        case 'clear':
          return { type: 'clear' };
        case 'mark':
          return typeof m.mark?.name === 'string'
            ? { type: 'mark', name: m.mark.name }
            : { type: 'invalid', detail: 'mark without name' };
        default:
          return { type: 'invalid', detail: `unknown event ${String(m.event)}` };
      }
    },
  };
}

/** jambonz `listen` with bidirectional streaming, at the rate the caller's fixtures have. */
export function audioForkCallerWire(id: CallIdentityOptions, sampleRateHz: number): CallerWire {
  return {
    dialect: 'audio_fork',
    sampleRateHz,
    protocols: ['audio.jambonz.org'],
    opening: () => [
      JSON.stringify({
        ...id.customParameters,
        sampleRate: sampleRateHz,
        mixType: 'mono',
        callSid: id.callSid,
        direction: 'inbound',
        from: id.from,
        to: id.to,
      }),
    ],
    audio: (pcm) => {
      const bytes = Buffer.alloc(pcm.length * 2);
      for (let i = 0; i < pcm.length; i++) bytes.writeInt16LE(pcm[i] ?? 0, i * 2);
      return bytes;
    },
    dtmf: (digit) => JSON.stringify({ event: 'dtmf', dtmf: digit, duration: '1600' }),
    markEcho: (name, cleared) => JSON.stringify({ type: 'mark', data: { name, event: cleared ? 'cleared' : 'playout' } }),
    stop: () => undefined,
    parse(data, isBinary) {
      if (isBinary) {
        // The module would carry an odd byte over, but a bridge that sends one has split a sample.
        if (data.length % 2 !== 0) return { type: 'invalid', detail: 'odd-length L16 frame' };
        const pcm = new Int16Array(data.length / 2);
        for (let i = 0; i < pcm.length; i++) pcm[i] = data.readInt16LE(i * 2);
        return { type: 'audio', pcm };
      }
      let msg: unknown;
      try {
        msg = JSON.parse(data.toString('utf8'));
      } catch {
        return { type: 'invalid', detail: 'text frame is not JSON' };
      }
      const m = msg as { type?: unknown; data?: { name?: unknown } } | null;
      if (m?.type === 'killAudio') return { type: 'clear' };
      if (m?.type === 'mark' && typeof m.data?.name === 'string') return { type: 'mark', name: m.data.name };
      return { type: 'invalid', detail: `unknown message ${String(m?.type)}` };
    },
  };
}
