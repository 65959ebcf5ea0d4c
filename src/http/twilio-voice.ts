/**
 * Twilio's voice webhook: point a phone number's "A call comes in" at `POST /twilio/voice` and
 * every call is answered with TwiML that connects it to our media stream,
 *
 *   <Connect><Stream url="wss://HOST/media/twilio">
 *     <Parameter name="to" value="+15550100"/><Parameter name="from" value="+15551230000"/>
 *   </Stream></Connect>
 *
 * with no query string (Twilio refuses one) and no secret in it: the stream's upgrade is
 * authenticated by Twilio's own signature. The webhook itself is refused (403) unless its
 * X-Twilio-Signature is valid for the public URL and the posted parameters. A number no agent
 * answers, a full bridge or a draining one get `<Reject>` here, before any stream exists.
 */
import type { FastifyPluginCallback } from 'fastify';
import type { Logger } from '../log.js';
import { wsBase } from '../public-url.js';
import { isValidTwilioSignature, signedWebhookUrl } from '../twilio/signature.js';
import { connectStreamTwiml, rejectTwiml } from '../twilio/twiml.js';
import type { RejectReason } from '../call/registry.js';

export interface TwilioVoiceOptions {
  /** The account's auth token: it keys the request signatures. */
  authToken: string;
  /** Public base (wss://bridge.example.com); else the Host header, as Twilio sent it. */
  publicBaseUrl?: string;
  /** Why a call to this number would be refused now, if it would. */
  refusal: (dialed: string) => RejectReason | undefined;
  logger: Logger;
}

export const TWILIO_VOICE_PATH = '/twilio/voice';
const STREAM_PATH = '/media/twilio';

export const twilioVoice: FastifyPluginCallback<TwilioVoiceOptions> = (app, opts, done) => {
  // Twilio posts application/x-www-form-urlencoded; kept as pairs because the signature covers
  // every parameter, repeated ones included. Scoped to this plugin.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 65_536 }, (_req, body, parsed) => {
    parsed(null, [...new URLSearchParams(body as string)]);
  });

  app.post(
    TWILIO_VOICE_PATH,
    {
      schema: {
        summary: "Twilio voice webhook: TwiML that connects the call to this bridge's media stream",
        tags: ['twilio'],
        produces: ['text/xml'],
        response: {
          200: { description: 'TwiML: <Connect><Stream> with to/from parameters, or <Reject>', type: 'string' },
          403: { description: 'Missing or invalid X-Twilio-Signature', type: 'string' },
        },
      },
    },
    (req, reply) => {
      const params = Array.isArray(req.body) ? (req.body as Array<[string, string]>) : [];
      const signature = req.headers['x-twilio-signature'];
      const url = signedWebhookUrl(req.url, req.headers.host, opts.publicBaseUrl);
      if (typeof signature !== 'string' || !isValidTwilioSignature(opts.authToken, url, signature, params)) {
        opts.logger.warn(
          { path: TWILIO_VOICE_PATH, remoteAddress: req.ip, signed: typeof signature === 'string' },
          'Twilio webhook refused: bad signature',
        );
        return reply.code(403).type('text/plain').send('invalid X-Twilio-Signature');
      }
      const field = (name: string): string => params.find(([key]) => key === name)?.[1] ?? '';
      const callSid = field('CallSid');
      const to = field('To');
      const refused = opts.refusal(to);
      reply.type('text/xml');
      if (refused !== undefined) {
        opts.logger.info({ callSid, reason: refused }, 'Twilio call rejected');
        return rejectTwiml(refused === 'unknown_number' ? 'rejected' : 'busy');
      }
      const streamUrl = wsBase(opts.publicBaseUrl, req.headers.host) + STREAM_PATH;
      opts.logger.debug({ callSid }, 'Twilio call connected to the media stream');
      return connectStreamTwiml(streamUrl, { to, from: field('From') });
    },
  );
  done();
};
