/**
 * A jambonz application webhook: set an application's "calling webhook" to `POST /jambonz/call`
 * (HTTP Basic auth, password = the bridge's media token) and jambonz answers every call with the
 * `listen` verb pointed at our audio-fork endpoint:
 *
 *   [{ "verb": "listen", "url": "wss://HOST/media/audio-fork", "sampleRate": 8000, "mixType": "mono",
 *      "bidirectionalAudio": { "enabled": true, "streaming": true, "sampleRate": 8000 },
 *      "passDtmf": true, "metadata": { "to": "+15550100", ... }, "wsAuth": { "username": "jambonz", "password": TOKEN },
 *      "actionHook": "/jambonz/listen-ended" }]
 *
 * Playback must be at the inbound rate (jambonz does not announce it, and the leg has one rate),
 * hence one `sampleRate` for both. The response holds the media token, so the webhook demands the
 * same token: whoever may fetch the verb may also open the stream, nobody else. A number no
 * agent answers, or a full or draining bridge, gets `sip:decline` before any stream exists.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginCallback, FastifyReply } from 'fastify';
import type { Logger } from '../log.js';
import { wsBase } from '../public-url.js';
import type { RejectReason } from '../call/registry.js';

export interface JambonzAppOptions {
  mediaToken: string;
  /** Public base (wss://bridge.example.com); else the Host header. */
  publicBaseUrl?: string;
  /** The rate of the L16 audio both ways: 8000 or 16000. */
  sampleRateHz: 8000 | 16000;
  refusal: (dialed: string) => RejectReason | undefined;
  logger: Logger;
}

export const JAMBONZ_CALL_PATH = '/jambonz/call';
const LISTEN_ENDED_PATH = '/jambonz/listen-ended';
const STREAM_PATH = '/media/audio-fork';

const DECLINE: Record<RejectReason, { status: number; reason: string }> = {
  unknown_number: { status: 404, reason: 'Not Found' },
  capacity: { status: 486, reason: 'Busy Here' },
  model_quota: { status: 486, reason: 'Busy Here' },
  draining: { status: 503, reason: 'Service Unavailable' },
  seats_unavailable: { status: 503, reason: 'Service Unavailable' },
};

const verbList = { type: 'array', items: { type: 'object', additionalProperties: true } } as const;

export const jambonzApp: FastifyPluginCallback<JambonzAppOptions> = (app, opts, done) => {
  const expected = createHash('sha256').update(opts.mediaToken).digest();
  const authorized = (header: string | undefined): boolean => {
    const match = header === undefined ? null : /^Basic +(\S+)\s*$/i.exec(header);
    if (!match?.[1]) return false;
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const password = decoded.slice(decoded.indexOf(':') + 1);
    return decoded.includes(':') && timingSafeEqual(createHash('sha256').update(password).digest(), expected);
  };
  const refuse = (reply: FastifyReply): FastifyReply =>
    reply.code(401).header('www-authenticate', 'Basic realm="qwen-phone-bridge"').send({ error: 'unauthorized' });

  app.post(
    JAMBONZ_CALL_PATH,
    {
      schema: {
        summary: 'jambonz calling webhook: a listen verb that streams the call to this bridge',
        tags: ['jambonz'],
        response: { 200: { ...verbList, description: 'jambonz verbs: listen, or sip:decline' } },
      },
    },
    (req, reply) => {
      if (!authorized(req.headers.authorization)) {
        opts.logger.warn({ path: JAMBONZ_CALL_PATH, remoteAddress: req.ip }, 'jambonz webhook refused: bad credentials');
        return refuse(reply);
      }
      const body = typeof req.body === 'object' && req.body !== null ? (req.body as Record<string, unknown>) : {};
      const field = (...names: string[]): string => {
        for (const name of names) if (typeof body[name] === 'string') return body[name];
        return '';
      };
      const callSid = field('callSid', 'call_sid');
      const to = field('to');
      const refused = opts.refusal(to);
      if (refused !== undefined) {
        opts.logger.info({ callSid, reason: refused }, 'jambonz call declined');
        return [{ verb: 'sip:decline', ...DECLINE[refused] }];
      }
      const rate = opts.sampleRateHz;
      return [
        {
          verb: 'listen',
          url: wsBase(opts.publicBaseUrl, req.headers.host) + STREAM_PATH,
          mixType: 'mono',
          sampleRate: rate,
          bidirectionalAudio: { enabled: true, streaming: true, sampleRate: rate },
          passDtmf: true,
          metadata: { to, from: field('from'), callSid },
          wsAuth: { username: 'jambonz', password: opts.mediaToken },
          actionHook: LISTEN_ENDED_PATH,
        },
      ];
    },
  );

  // When the stream ends (the agent hung up, or the caller did), the call ends too.
  app.post(
    LISTEN_ENDED_PATH,
    { schema: { summary: 'jambonz listen actionHook: hang up', tags: ['jambonz'], response: { 200: verbList } } },
    (req, reply) => (authorized(req.headers.authorization) ? [{ verb: 'hangup' }] : refuse(reply)),
  );
  done();
};
