/**
 * REFER helpers: what goes into Refer-To, and what a NOTIFY's message/sipfrag body says.
 */

/**
 * A SIP/SIPS/tel URI is used as given. A bare number becomes a SIP URI at the caller's side's
 * host, because the network that sent us the call is the one that can reach the number.
 */
export function referTarget(target: string, remoteUri: string): string | undefined {
  const trimmed = target.trim();
  if (/^(sips?|tel):/i.test(trimmed)) return trimmed;
  if (!/^\+?[0-9*#]+$/.test(trimmed.replace(/[\s().-]/g, ''))) return undefined;
  const number = trimmed.replace(/[\s().-]/g, '');
  const host = /@([^;>]+)/.exec(remoteUri)?.[1];
  return host ? `sip:${number}@${host}` : `tel:${number}`;
}

/** The status in a message/sipfrag body ("SIP/2.0 200 OK"), if there is one. */
export function sipfragStatus(body: string): number | undefined {
  const match = /^SIP\/2\.0\s+(\d{3})/m.exec(body);
  return match ? Number(match[1]) : undefined;
}

/**
 * Referred-By: the number that was dialed, at our side's host. The transfer target (and the
 * carrier's records) then see which of our lines handed the call over, not a bare host.
 */
export function referredBy(dialed: string, localUri: string): string {
  const host = /^sips?:(?:[^@;>]*@)?([^;>?]+)/i.exec(localUri)?.[1];
  const user = dialed.replace(/^(sips?|tel):/i, '').replace(/@.*$/, '');
  if (host === undefined) return localUri;
  return user === '' ? `sip:${host}` : `sip:${user}@${host}`;
}
