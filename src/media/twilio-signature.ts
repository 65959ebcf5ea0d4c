/**
 * Twilio's request signature on the WebSocket upgrade: `X-Twilio-Signature` is the base64
 * HMAC-SHA1, keyed with the account's auth token, of the full URL Twilio connected to (a
 * WebSocket upgrade has no POST parameters to append). Behind a proxy or TLS terminator the
 * URL we see differs from the one Twilio signed, hence publicBaseUrl.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export function twilioSignature(authToken: string, url: string): string {
  return createHmac('sha1', authToken).update(url, 'utf8').digest('base64');
}

/**
 * Twilio's own validators also accept the URL with the scheme's default port added or removed,
 * since proxies disagree on whether `:443` is part of the Host.
 */
export function isValidTwilioSignature(authToken: string, url: string, signature: string): boolean {
  const given = Buffer.from(signature, 'utf8');
  return urlVariants(url).some((candidate) => {
    const expected = Buffer.from(twilioSignature(authToken, candidate), 'utf8');
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
  const base = publicBaseUrl?.replace(/\/+$/, '') ?? `wss://${hostHeader ?? 'localhost'}`;
  return `${base}${requestUrl}`;
}
