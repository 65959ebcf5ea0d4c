/**
 * Why a call ended. Every call ends with exactly one of these (Call.close runs once), and the
 * value is what call records, metrics and logs report.
 */
export const END_REASONS = [
  'caller_hangup', // the caller (or the far platform) hung up / closed the media stream
  'agent_hangup', // the agent ended the call (end_call tool)
  'transferred', // handed off to a human or another number
  'max_duration', // our own deadline, set below the model's session cap, after a spoken goodbye
  'caller_silence', // nobody spoke for too long
  'media_timeout', // no media frames arrived for too long (dead stream, zombie call)
  'ai_connect_failed', // the model's WebSocket could not be opened (401/403/429/5xx/timeout)
  'ai_disconnected', // the model's WebSocket closed or failed mid-call
  'ai_session_cap', // the model closed the session at its own limit before we hung up
  'ai_reconnect_failed', // the model session was lost and every attempt to open a new one failed (after an apology)
  'ai_rejected_config', // the model refused the agent's configuration once the call was up (a voice it does not speak)
  'protocol_error', // malformed or unauthenticated media from the far end
  'media_overrun', // the caller's stream kept sending audio faster than real time (realtime-budget.ts)
  'media_failed', // our own media path failed (the RTP I/O thread died); the caller cannot be heard or answered
  'admin_hangup', // an operator hung the call up through the admin API
  'shutdown', // the process is shutting down and drained this call
] as const;

export type EndReason = (typeof END_REASONS)[number];

export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}
