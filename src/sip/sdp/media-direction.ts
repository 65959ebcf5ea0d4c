/**
 * SDP media direction (RFC 3264 §5.1, §6.1). A direction is always read from the side that wrote
 * it: an offer's `sendonly` means the caller will send and not receive, so our answer says
 * `recvonly`.
 */
export const MEDIA_DIRECTIONS = ['sendrecv', 'sendonly', 'recvonly', 'inactive'] as const;

export type MediaDirection = (typeof MEDIA_DIRECTIONS)[number];

export function isMediaDirection(value: string): value is MediaDirection {
  return (MEDIA_DIRECTIONS as readonly string[]).includes(value);
}

/** True when the side that wrote `direction` sends media. */
export function directionSends(direction: MediaDirection): boolean {
  return direction === 'sendrecv' || direction === 'sendonly';
}

/** True when the side that wrote `direction` receives media. */
export function directionReceives(direction: MediaDirection): boolean {
  return direction === 'sendrecv' || direction === 'recvonly';
}

function fromFlags(sends: boolean, receives: boolean): MediaDirection {
  if (sends && receives) return 'sendrecv';
  if (sends) return 'sendonly';
  if (receives) return 'recvonly';
  return 'inactive';
}

/**
 * The answer to an offered direction, for an answerer that is willing to send and receive: it
 * sends only what the offerer will receive and receives only what the offerer will send.
 */
export function answerDirection(offered: MediaDirection): MediaDirection {
  return fromFlags(directionReceives(offered), directionSends(offered));
}

/**
 * The offerer's effective direction when its connection address is the unspecified one
 * (`c=IN IP4 0.0.0.0`, RFC 2543-style hold): nothing can be sent to it, so it cannot receive.
 */
export function withoutReceive(direction: MediaDirection): MediaDirection {
  return fromFlags(directionSends(direction), false);
}
