/**
 * The SIP-aware half of the simulator: building what the network party sends, and completing
 * the minimal messages an app sends the way drachtio-server does (Via, tags, Contact,
 * Content-Type, Content-Length), so the echoed message is what a real server would put on the wire.
 */
import type { SimDialog } from './sim-records.js';
import {
  asNameAddr, newBranch, randomToken, reasonPhrase, SipMessage, tagOf, uriOf, userOf, withTag,
} from './sip-message.js';

export interface HostPort {
  address: string;
  port: number;
}

export function hostPort(hp: HostPort): string {
  return `${hp.address}:${hp.port}`;
}

/** Headers the server (not the app) owns when it completes a message. */
const SERVER_OWNED = new Set(['via', 'from', 'to', 'call-id', 'cseq', 'content-length', 'max-forwards']);

function copyAppHeaders(from: SipMessage, to: SipMessage, skip: Set<string> = SERVER_OWNED): void {
  for (const h of from.headers) {
    const name = h.name.toLowerCase();
    if (skip.has(name) || (name === 'contact' && to.has('Contact'))) continue;
    to.add(h.name, h.value);
  }
}

/**
 * drachtio-server labels a body as SDP only when the app gave no Content-Type and the body looks
 * like SDP; any other body goes out without a Content-Type.
 */
function applyBody(target: SipMessage, body: string): void {
  target.body = body;
  if (body !== '' && !target.has('Content-Type') && body.startsWith('v=0')) {
    target.set('Content-Type', 'application/sdp');
  }
}

export interface NewRequestParams {
  method: string;
  requestUri: string;
  from: string;
  to: string;
  callId: string;
  cseq: number;
  via: HostPort;
  contact?: string;
  headers?: Record<string, string>;
  body?: string;
  contentType?: string;
}

/** A request from the network party, outside any dialog (INVITE, OPTIONS). */
export function networkRequest(p: NewRequestParams): SipMessage {
  const m = new SipMessage(`${p.method} ${p.requestUri} SIP/2.0`);
  m.add('Via', `SIP/2.0/UDP ${hostPort(p.via)};branch=${newBranch()};rport`);
  m.add('Max-Forwards', '70');
  m.add('From', p.from);
  m.add('To', p.to);
  m.add('Call-ID', p.callId);
  m.add('CSeq', `${p.cseq} ${p.method}`);
  if (p.contact) m.add('Contact', `<${p.contact}>`);
  for (const [name, value] of Object.entries(p.headers ?? {})) m.add(name, value);
  if (p.body) {
    m.set('Content-Type', p.contentType ?? 'application/sdp');
    m.body = p.body;
  }
  return m;
}

/** The caller's Contact: its user at its own address. */
export function partyContact(uriOrNameAddr: string, at: HostPort): string {
  const user = userOf(uriOf(uriOrNameAddr));
  return `sip:${user ? `${user}@` : ''}${hostPort(at)}`;
}

/** A request from the network party inside a dialog. */
export function networkInDialogRequest(
  dialog: SimDialog,
  method: string,
  cseq: number,
  via: HostPort,
  extra: { headers?: Record<string, string>; body?: string; contentType?: string } = {},
): SipMessage {
  const m = networkRequest({
    method,
    requestUri: dialog.app.contact,
    from: dialog.network.nameAddr,
    to: dialog.app.nameAddr,
    callId: dialog.callId,
    cseq,
    via,
    // Target-refresh and subscription requests carry the sender's Contact.
    contact: ['INVITE', 'UPDATE', 'NOTIFY', 'REFER', 'SUBSCRIBE'].includes(method) ? dialog.network.contact : undefined,
    headers: extra.headers,
    body: extra.body,
    contentType: extra.contentType,
  });
  return m;
}

/** CANCEL for a pending INVITE: same request-URI, top Via branch and CSeq number (RFC 3261 9.1). */
export function cancelFor(invite: SipMessage): SipMessage {
  const m = new SipMessage(`CANCEL ${invite.uri} SIP/2.0`);
  m.add('Via', invite.get('Via')!);
  m.add('Max-Forwards', '70');
  m.add('From', invite.get('From')!);
  m.add('To', invite.get('To')!);
  m.add('Call-ID', invite.callId);
  m.add('CSeq', `${invite.cseq} CANCEL`);
  return m;
}

/** A response to `request` made by the network party (or by the server's own stack). */
export function responseTo(
  request: SipMessage,
  status: number,
  opts: { toTag?: string; reason?: string; headers?: Record<string, string>; body?: string; contact?: string } = {},
): SipMessage {
  const m = new SipMessage(`SIP/2.0 ${status} ${opts.reason ?? reasonPhrase(status)}`);
  for (const via of request.getAll('Via')) m.add('Via', via);
  m.add('From', request.get('From')!);
  const to = request.get('To')!;
  m.add('To', status > 100 && opts.toTag ? withTag(to, opts.toTag) : to);
  m.add('Call-ID', request.callId);
  m.add('CSeq', request.get('CSeq')!);
  if (opts.contact) m.add('Contact', `<${opts.contact}>`);
  for (const [name, value] of Object.entries(opts.headers ?? {})) m.add(name, value);
  applyBody(m, opts.body ?? '');
  return m;
}

/**
 * The complete response the server sends for an app's minimal one: dialog headers from the
 * request, the To-tag on anything above 100 (the app may choose it), Contact on a 2xx to INVITE
 * unless the app gave one, the app's other headers and body.
 */
export function completeAppResponse(request: SipMessage, minimal: SipMessage, toTag: string, serverContact: string): SipMessage {
  const status = minimal.status;
  const full = responseTo(request, status, {
    toTag,
    reason: minimal.reason || reasonPhrase(status),
    contact: request.method === 'INVITE' && status >= 200 && status < 300 && !minimal.has('Contact') ? serverContact : undefined,
  });
  copyAppHeaders(minimal, full);
  applyBody(full, minimal.body);
  return full;
}

/** The To-tag a response carries: the app's choice if it put one in To, else the server's. */
export function chosenToTag(minimal: SipMessage, serverTag: string): string {
  return tagOf(minimal.get('To') ?? '') ?? serverTag;
}

/**
 * The complete request the server sends for an app's in-dialog one (`sip:placeholder` allowed):
 * the dialog's URIs and tags, a CSeq from the app's side of the dialog, the app's headers/body.
 */
export function completeAppInDialogRequest(dialog: SimDialog, minimal: SipMessage, cseq: number, via: HostPort): SipMessage {
  const method = minimal.method;
  const full = new SipMessage(`${method} ${dialog.network.contact} SIP/2.0`);
  full.add('Via', `SIP/2.0/UDP ${hostPort(via)};branch=${newBranch()};rport`);
  full.add('Max-Forwards', '70');
  full.add('From', dialog.app.nameAddr);
  full.add('To', dialog.network.nameAddr);
  full.add('Call-ID', dialog.callId);
  full.add('CSeq', `${cseq} ${method}`);
  copyAppHeaders(minimal, full);
  applyBody(full, minimal.body);
  return full;
}

/** The complete request for an app's out-of-dialog one: the server fills what the app left out. */
export function completeAppRequest(minimal: SipMessage, via: HostPort, serverContact: string): SipMessage {
  const method = minimal.method;
  const full = new SipMessage(minimal.startLine);
  full.add('Via', `SIP/2.0/UDP ${hostPort(via)};branch=${newBranch()};rport`);
  full.add('Max-Forwards', minimal.get('Max-Forwards') ?? '70');
  full.add('From', withTag(minimal.get('From') ?? asNameAddr(serverContact), randomToken()));
  full.add('To', minimal.get('To') ?? asNameAddr(minimal.uri));
  full.add('Call-ID', minimal.get('Call-ID') ?? `${randomToken(10)}@${hostPort(via)}`);
  full.add('CSeq', minimal.get('CSeq') ?? `1 ${method}`);
  copyAppHeaders(minimal, full);
  applyBody(full, minimal.body);
  return full;
}
