/**
 * The few TwiML documents the bridge writes: connect a call to our media stream, refuse a call
 * before any stream exists, and hand a call to a person (<Dial>). Values are XML-escaped; the
 * stream URL carries no query string because Twilio refuses one (errors 31920/31922): what the
 * bridge needs to know about the call travels as <Parameter>s in the stream's start message.
 */

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

function xml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!);
}

const HEADER = '<?xml version="1.0" encoding="UTF-8"?>';

/** `<Connect><Stream>`: bidirectional audio to `streamUrl`, with custom parameters. */
export function connectStreamTwiml(streamUrl: string, parameters: Record<string, string>): string {
  const params = Object.entries(parameters)
    .map(([name, value]) => `<Parameter name="${xml(name)}" value="${xml(value)}"/>`)
    .join('');
  return `${HEADER}<Response><Connect><Stream url="${xml(streamUrl)}">${params}</Stream></Connect></Response>`;
}

/** Refuse the call without answering it (no charge for the caller's minutes on our side). */
export function rejectTwiml(reason: 'busy' | 'rejected'): string {
  return `${HEADER}<Response><Reject reason="${reason}"/></Response>`;
}

/**
 * `<Dial>` to a transfer destination: a phone number (`+15550100`, `tel:+15550100`) becomes
 * `<Number>`, a SIP URI `<Sip>`. Anything else cannot be dialled by Twilio: undefined.
 */
export function dialTwiml(destination: string, opts: { timeoutS?: number } = {}): string | undefined {
  const trimmed = destination.trim();
  const timeout = opts.timeoutS !== undefined ? ` timeout="${Math.max(5, Math.min(600, Math.round(opts.timeoutS)))}"` : '';
  if (/^sips?:/i.test(trimmed)) return `${HEADER}<Response><Dial${timeout}><Sip>${xml(trimmed)}</Sip></Dial></Response>`;
  const number = trimmed.replace(/^tel:/i, '').replace(/[\s().-]/g, '');
  if (!/^\+?[0-9*#]+$/.test(number)) return undefined;
  return `${HEADER}<Response><Dial${timeout}><Number>${xml(number)}</Number></Dial></Response>`;
}
