/**
 * The one Twilio REST call the bridge makes: update a live call with new TwiML, which is how a
 * call that is streaming to us gets handed to a person (`<Dial>`). Twilio leaves `<Connect>` at
 * once, closes our media stream, and runs the new TwiML.
 *
 *   POST {apiBaseUrl}/2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json   Twiml=<Response>…
 *
 * Authenticated with HTTP Basic (account SID, auth token). Not retried: a retry after a lost
 * answer could redirect the call twice.
 */

export interface TwilioRestOptions {
  accountSid: string;
  authToken: string;
  /** https://api.twilio.com, or a local fake in tests. */
  apiBaseUrl: string;
  /** Per request. */
  timeoutMs: number;
}

export type TwilioUpdateResult = { ok: true } | { ok: false; reason: string; status?: number };

export interface TwilioCalls {
  /** Replace what the call is doing with `twiml`. */
  update(callSid: string, twiml: string): Promise<TwilioUpdateResult>;
}

const SID = /^[A-Z]{2}[0-9a-f]{32}$/i;

export function twilioCalls(opts: TwilioRestOptions): TwilioCalls {
  const authorization = `Basic ${Buffer.from(`${opts.accountSid}:${opts.authToken}`).toString('base64')}`;
  const base = opts.apiBaseUrl.replace(/\/+$/, '');
  return {
    async update(callSid, twiml) {
      // The SID goes into a URL path: only the documented shape, so nothing can be smuggled in.
      if (!SID.test(callSid)) return { ok: false, reason: 'not a Twilio call SID' };
      const url = `${base}/2010-04-01/Accounts/${opts.accountSid}/Calls/${callSid}.json`;
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ Twiml: twiml }).toString(),
          redirect: 'error',
          signal: AbortSignal.timeout(opts.timeoutMs),
        });
      } catch (err) {
        const timedOut = err instanceof Error && err.name === 'TimeoutError';
        return { ok: false, reason: timedOut ? 'Twilio did not answer in time' : 'Twilio could not be reached' };
      }
      // Twilio's error body says why ({code, message}); its code is worth logging, not the text.
      const text = await response.text().catch(() => '');
      if (response.ok) return { ok: true };
      const code = /"code"\s*:\s*(\d+)/.exec(text)?.[1];
      return { ok: false, reason: `Twilio answered ${response.status}${code ? ` (error ${code})` : ''}`, status: response.status };
    },
  };
}
