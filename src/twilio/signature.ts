/**
 * Twilio's request signature: `X-Twilio-Signature` is the base64 HMAC-SHA1, keyed with the
 * account's auth token, of the full URL Twilio requested followed, for a form POST (the voice
 * webhook), by every parameter's name and value in name order. A WebSocket upgrade has no
 * parameters, so there it is the URL alone. Behind a proxy or TLS terminator the URL we see
 * differs from the one Twilio signed, hence publicBaseUrl.
 *
 * Pure Twilio knowledge (it imports only the public-URL leaf): the media and HTTP adapters share it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { httpBase, wsBase } from '../public-url.js';

/** Form parameters as Twilio posted them; a name may repeat. */
export type TwilioParams = ReadonlyArray<readonly [string, string]>;

export function twilioSignature(authToken: string, url: string, params: TwilioParams = []): string {
  const hmac = createHmac('sha1', authToken).update(url, 'utf8');
  // Twilio sorts by name, then by value for repeated names.
  const sorted = [...params].sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  for (const [name, value] of sorted) hmac.update(name, 'utf8').update(value, 'utf8');
  return hmac.digest('base64');
}

/**
 * Twilio's own validators also accept the URL with the scheme's default port added or removed,
 * since proxies disagree on whether `:443` is part of the Host.
 */
export function isValidTwilioSignature(authToken: string, url: string, signature: string, params: TwilioParams = []): boolean {
  const given = Buffer.from(signature, 'utf8');
  return urlVariants(url).some((candidate) => {
    const expected = Buffer.from(twilioSignature(authToken, candidate, params), 'utf8');
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
}

function urlVariants(url: string): string[] {
  const parts = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/is.exec(url);
  const authority = parts?.[2] === undefined ? undefined : /^(.*?)(?::(\d+))?$/.exec(parts[2]);
  if (parts === null || authority?.[1] === undefined) return [url];
  const [, scheme = '', , rest = ''] = parts;
  const host = authority[1];
  const port = authority[2];
  const defaultPort = /^(wss|https):/i.test(scheme) ? '443' : '80';
  if (port === undefined) return [url, `${scheme}${host}:${defaultPort}${rest}`];
  if (port === defaultPort) return [url, `${scheme}${host}${rest}`];
  return [url];
}

/**
 * The URL Twilio signed. `publicBaseUrl` (e.g. `wss://bridge.example.com`) replaces scheme and
 * host; the path and query are taken exactly as received so their encoding is not changed.
 */
export function signedUrl(requestUrl: string, hostHeader: string | undefined, publicBaseUrl?: string): string {
  return wsBase(publicBaseUrl, hostHeader) + requestUrl;
}

/**
 * The URL Twilio signed for an HTTP webhook: the same public host as the media stream, with the
 * scheme Twilio used for HTTP (wss → https, ws → http).
 */
export function signedWebhookUrl(requestUrl: string, hostHeader: string | undefined, publicBaseUrl?: string): string {
  return httpBase(publicBaseUrl, hostHeader) + requestUrl;
}
