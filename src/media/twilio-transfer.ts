/**
 * Transfers on Twilio streams through Twilio itself: the call is updated with `<Dial>` TWiML over
 * the REST API, so Twilio connects the caller to the person and our stream ends. Only for calls of
 * the account whose credentials the bridge holds; other calls (a subaccount, SignalWire) keep the
 * agent's transfer webhook.
 */
import type { Logger } from 'pino';
import type { CallIdentity } from '../call/media-leg.js';
import type { TwilioCalls } from '../twilio/rest-client.js';
import { dialTwiml } from '../twilio/twiml.js';
import type { PlatformTransfer } from './fork-leg.js';

export type TransferForCall = (identity: CallIdentity) => PlatformTransfer | undefined;

export function twilioRestTransfer(calls: TwilioCalls, accountSid: string, log: Logger): TransferForCall {
  return (identity) => {
    const callAccount = identity.attributes.accountSid;
    if (callAccount !== undefined && callAccount !== accountSid) return undefined;
    const callSid = identity.externalId;
    return async (destination, opts) => {
      // Twilio rings the person for the agent's transfer time limit (its <Dial timeout> is seconds).
      const twiml = dialTwiml(destination, { timeoutS: opts.timeoutMs / 1000 });
      if (twiml === undefined) return { ok: false, reason: `Twilio cannot dial ${destination}` };
      const result = await calls.update(callSid, twiml);
      if (result.ok) {
        log.info({ callSid }, 'call handed to Twilio <Dial>');
        return { ok: true };
      }
      log.warn({ callSid, reason: result.reason, status: result.status }, 'Twilio call update failed');
      return result.status !== undefined
        ? { ok: false, reason: result.reason, status: result.status }
        : { ok: false, reason: result.reason };
    };
  };
}
