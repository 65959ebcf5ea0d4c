/** Counters the fork endpoint keeps; the composition root reads them into its metrics. */
export const REJECT_REASONS = [
  'unknown_path', // upgrade for a path that is not a fork endpoint (HTTP 404)
  'unauthorized', // no or wrong secret / Twilio signature (HTTP 401)
  'rate_limited', // too many failed authentications from that address (HTTP 429)
  'start_timeout', // connected but never identified its call
  'admission_refused', // the call core said no (unknown number, capacity, draining)
  'protocol_error', // closed for bad input, at any point
] as const;

export type RejectReason = (typeof REJECT_REASONS)[number];

/** Why an upgrade failed authentication (each is also counted as `unauthorized`). */
export const AUTH_FAILURES = ['missing_credentials', 'bad_token', 'bad_signature'] as const;

export type AuthFailure = (typeof AUTH_FAILURES)[number];

export interface ForkCounts {
  /** Fork sockets open right now. */
  connections: number;
  /** WebSocket connections accepted since start. */
  connectionsTotal: number;
  rejected: Record<RejectReason, number>;
  authFailures: Record<AuthFailure, number>;
  /** Outbound audio frames dropped because a socket was too far behind. */
  droppedFrames: number;
}

export function emptyCounts(): ForkCounts {
  const rejected = Object.fromEntries(REJECT_REASONS.map((r) => [r, 0])) as Record<RejectReason, number>;
  const authFailures = Object.fromEntries(AUTH_FAILURES.map((r) => [r, 0])) as Record<AuthFailure, number>;
  return { connections: 0, connectionsTotal: 0, rejected, authFailures, droppedFrames: 0 };
}
