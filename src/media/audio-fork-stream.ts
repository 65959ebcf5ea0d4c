/**
 * One mod_audio_fork / jambonz `listen` stream: the metadata frame identifies the call, binary
 * L16 becomes caller audio, text carries DTMF and mark echoes.
 */
import type { LegWire } from './fork-leg.js';
import type { StreamHandler, StreamHandlerContext } from './stream-handler.js';
import {
  AudioForkDecoder,
  encodeAudioForkAudio,
  encodeAudioForkKillAudio,
  encodeAudioForkMark,
} from './protocols/audio-fork.js';
import type { InboundFrame } from './protocols/violation.js';

export const audioForkWire: LegWire = {
  audio: (frame) => encodeAudioForkAudio(frame),
  clear: () => encodeAudioForkKillAudio(),
  mark: (name) => encodeAudioForkMark(name),
};

export function createAudioForkStream(ctx: StreamHandlerContext): StreamHandler {
  const { session } = ctx;
  const decoder = new AudioForkDecoder();

  return {
    onFrame(frame: InboundFrame): void {
      const result = decoder.decode(frame);
      if (!result.ok) return session.fail(result.violation);
      const msg = result.message;
      switch (msg.type) {
        case 'metadata':
          session.admit(msg.metadata.identity, ctx.createLeg(msg.metadata.sampleRateHz, audioForkWire));
          return;
        case 'audio':
          if (msg.pcm.length > 0) session.deliver({ type: 'audio', pcm: msg.pcm });
          return;
        case 'dtmf':
          return session.deliver({ type: 'dtmf', digit: msg.digit });
        case 'mark':
          // `cleared` echoes are passed on too: Twilio reports cleared marks the same way as played
          // ones, so the call already treats a mark after a clear as "no longer pending".
          return session.deliver({ type: 'mark', name: msg.name });
        case 'other':
          return session.log.debug({ event: msg.name }, 'ignored stream message');
      }
    },
  };
}
