/**
 * The platform entry points beside the media endpoint, composed from configuration: Twilio's
 * voice webhook and REST transfer, the jambonz application webhook. Kept out of app.ts so the
 * composition root only asks "what do the platforms add?".
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from './config/schema.js';
import { jambonzApp, JAMBONZ_CALL_PATH } from './http/jambonz-app.js';
import { twilioVoice, TWILIO_VOICE_PATH } from './http/twilio-voice.js';
import type { Logger } from './log.js';
import { twilioRestTransfer, type TransferForCall } from './media/twilio-transfer.js';
import { twilioCalls } from './twilio/rest-client.js';
import type { RejectReason } from './call/registry.js';

export interface Platforms {
  /** For the fork endpoint: transfers on /media/twilio through Twilio's REST API. */
  twilioTransfer?: TransferForCall;
  /** What is on, for the start-up log. */
  summary: { twilioVoiceWebhook: boolean; twilioRestTransfer: boolean; jambonzWebhook: boolean };
  paths: { twilioVoice: string; jambonzCall: string };
}

type Refusal = (dialed: string) => RejectReason | undefined;

export function setupPlatforms(config: Config, http: FastifyInstance, refusal: Refusal, logger: Logger): Platforms {
  const { twilioAuthToken, twilioAccountSid, mediaToken } = config.secrets;
  const publicBaseUrl = config.media.publicBaseUrl ?? undefined;
  const base = publicBaseUrl !== undefined ? { publicBaseUrl } : {};
  if (twilioAuthToken) {
    void http.register(twilioVoice, { authToken: twilioAuthToken, ...base, refusal, logger: logger.child({ component: 'twilio' }) });
  }
  if (mediaToken) {
    void http.register(jambonzApp, {
      mediaToken,
      ...base,
      sampleRateHz: config.jambonz.sampleRateHz,
      refusal,
      logger: logger.child({ component: 'jambonz' }),
    });
  }
  const rest =
    twilioAuthToken && twilioAccountSid
      ? twilioRestTransfer(
          twilioCalls({
            accountSid: twilioAccountSid,
            authToken: twilioAuthToken,
            apiBaseUrl: config.twilio.apiBaseUrl,
            timeoutMs: config.twilio.requestTimeoutMs,
          }),
          twilioAccountSid,
          logger.child({ component: 'twilio' }),
        )
      : undefined;
  return {
    ...(rest ? { twilioTransfer: rest } : {}),
    summary: { twilioVoiceWebhook: Boolean(twilioAuthToken), twilioRestTransfer: rest !== undefined, jambonzWebhook: Boolean(mediaToken) },
    paths: { twilioVoice: TWILIO_VOICE_PATH, jambonzCall: JAMBONZ_CALL_PATH },
  };
}
