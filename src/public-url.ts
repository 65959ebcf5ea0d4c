/**
 * The bridge's public address as platforms reach it: `media.publicBaseUrl` when a proxy or TLS
 * terminator sits in front (it may be written wss:// or https://), else the Host header the
 * request came with. Platforms only connect to wss:// and https://, so those are the defaults.
 */

/** `wss://host` for media streams. */
export function wsBase(publicBaseUrl: string | undefined, hostHeader: string | undefined): string {
  if (publicBaseUrl === undefined) return `wss://${hostHeader ?? 'localhost'}`;
  return publicBaseUrl.replace(/\/+$/, '').replace(/^http(s?):/i, 'ws$1:');
}

/** `https://host` for webhooks. */
export function httpBase(publicBaseUrl: string | undefined, hostHeader: string | undefined): string {
  if (publicBaseUrl === undefined) return `https://${hostHeader ?? 'localhost'}`;
  return publicBaseUrl.replace(/\/+$/, '').replace(/^ws(s?):/i, 'http$1:');
}
