/**
 * One Twilio-dialect media stream (Twilio, SignalWire): identify the call from `start`, then
 * turn media/dtmf/mark/stop into call events. Order is enforced because Twilio itself guarantees
 * it: media before `start` or for another streamSid means the peer is not who it claims to be.
 */
import { mulawDecode, mulawEncode } from '../audio/g711.js';
import type { ForkLeg, LegWire } from './fork-leg.js';
import type { StreamHandler, StreamHandlerContext } from './stream-handler.js';
import {
  decodeTwilioFrame,
  encodeTwilioClear,
  encodeTwilioMark,
  twilioMediaEncoder,
  twilioCallIdentity,
} from './protocols/twilio.js';
import type { InboundFrame } from './protocols/violation.js';

const TWILIO_RATE_HZ = 8000;

export function twilioWire(streamSid: string): LegWire {
  // The mu-law bytes live only until the media encoder has base64'd them, so one buffer per
  // stream serves every frame instead of an allocation 50 times a second.
  let mulaw = new Uint8Array(0);
  const media = twilioMediaEncoder(streamSid);
  return {
    audio: (frame) => {
      if (mulaw.length < frame.length) mulaw = new Uint8Array(frame.length);
      return media(mulawEncode(frame, mulaw).subarray(0, frame.length));
    },
    clear: () => encodeTwilioClear(streamSid),
    mark: (name) => encodeTwilioMark(streamSid, name),
  };
}

export function createTwilioStream(ctx: StreamHandlerContext): StreamHandler {
  const { session } = ctx;
  let streamSid: string | undefined;
  let leg: ForkLeg | undefined;
  let stopped = false;
  // The call reads a frame's samples before the next frame arrives (MediaEvent's contract), so
  // one buffer per stream serves every 20 ms frame.
  let pcm = new Int16Array(0);

  return {
    onFrame(frame: InboundFrame): void {
      const result = decodeTwilioFrame(frame);
      if (!result.ok) return session.fail(result.violation);
      const msg = result.message;

      if (msg.event === 'connected') return;
      if (msg.event === 'other') return session.log.debug({ event: msg.name }, 'ignored stream event');
      if (msg.event === 'start') {
        if (streamSid !== undefined) return session.fail({ kind: 'out_of_order', detail: 'second start message' });
        streamSid = msg.streamSid;
        const identity = twilioCallIdentity(msg.start);
        leg = ctx.createLeg(TWILIO_RATE_HZ, twilioWire(streamSid), ctx.transferFor?.(identity));
        session.admit(identity, leg);
        return;
      }

      if (streamSid === undefined) {
        return session.fail({ kind: 'out_of_order', detail: `${msg.event} before start` });
      }
      if (msg.streamSid !== streamSid) {
        return session.fail({ kind: 'stream_mismatch', detail: `${msg.event} for another streamSid` });
      }
      if (stopped) return;

      switch (msg.event) {
        case 'media':
          // One-way `both_tracks` streams also carry what the caller hears; the agent must not hear itself.
          if (msg.track === 'inbound' && msg.mulaw.length > 0) {
            if (pcm.length !== msg.mulaw.length) pcm = new Int16Array(msg.mulaw.length);
            session.deliver({ type: 'audio', pcm: mulawDecode(msg.mulaw, pcm) });
          }
          return;
        case 'dtmf':
          return session.deliver({ type: 'dtmf', digit: msg.digit });
        case 'mark':
          return session.deliver({ type: 'mark', name: msg.name });
        case 'stop':
          stopped = true;
          return session.hangup('stop message');
      }
    },
  };
}
