/**
 * Just enough SIP text handling for the drachtio-server simulator: parse a message, read and
 * edit headers, print it with a correct Content-Length. Not a SIP stack.
 */
import { randomBytes } from 'node:crypto';

export const CRLF = '\r\n';

export interface SipHeader {
  name: string;
  value: string;
}

/** RFC 3261 compact forms, so a lookup of `Call-ID` also finds `i:`. */
const COMPACT: Record<string, string> = {
  i: 'call-id', f: 'from', t: 'to', v: 'via', m: 'contact', l: 'content-length', c: 'content-type',
  k: 'supported', e: 'content-encoding', s: 'subject', o: 'event', r: 'refer-to', b: 'referred-by',
};

/** Names whose canonical spelling is not "capitalise every word". */
const CANONICAL: Record<string, string> = {
  'call-id': 'Call-ID', cseq: 'CSeq', 'www-authenticate': 'WWW-Authenticate', rack: 'RAck', rseq: 'RSeq',
  'mime-version': 'MIME-Version',
};

function normalName(name: string): string {
  const lower = name.trim().toLowerCase();
  return COMPACT[lower] ?? lower;
}

/**
 * How a SIP stack prints a header name. drachtio-srf sends some names lower-case (`cseq`,
 * `from`); drachtio-server re-encodes the message, so what comes back is canonical. Mixed-case
 * names (`X-Call-Ref`) are kept as the app wrote them.
 */
export function canonicalHeaderName(name: string): string {
  const normal = normalName(name);
  const special = CANONICAL[normal];
  if (special) return special;
  if (name !== name.toLowerCase() && name.length > 1) return name;
  return normal.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}

export class SipMessage {
  constructor(
    public startLine: string,
    public headers: SipHeader[] = [],
    public body = '',
  ) {}

  static parse(raw: string): SipMessage {
    const split = raw.indexOf(CRLF + CRLF);
    const head = split === -1 ? raw : raw.slice(0, split);
    let body = split === -1 ? '' : raw.slice(split + 4);
    const [startLine = '', ...lines] = head.split(CRLF);
    const headers: SipHeader[] = [];
    for (const line of lines) {
      if (line === '') continue;
      const colon = line.indexOf(':');
      if (colon <= 0) throw new Error(`malformed SIP header line: ${JSON.stringify(line)}`);
      headers.push({ name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() });
    }
    const message = new SipMessage(startLine, headers, body);
    const declared = message.get('Content-Length');
    if (declared !== undefined) {
      // Content-Length counts bytes; the body may contain multi-byte characters.
      body = Buffer.from(body, 'utf8').subarray(0, Number(declared)).toString('utf8');
      message.body = body;
    }
    if (!message.isRequest && !/^SIP\/2\.0 \d{3}/.test(startLine)) {
      throw new Error(`malformed SIP start line: ${JSON.stringify(startLine)}`);
    }
    return message;
  }

  get isRequest(): boolean {
    return /^[A-Z]+ \S+ SIP\/2\.0$/.test(this.startLine);
  }

  /** Request method, or the CSeq method for a response. */
  get method(): string {
    if (this.isRequest) return this.startLine.split(' ')[0]!;
    return (this.get('CSeq') ?? '').split(/\s+/)[1] ?? '';
  }

  get uri(): string {
    return this.isRequest ? this.startLine.split(' ')[1]! : '';
  }

  set uri(uri: string) {
    if (!this.isRequest) throw new Error('a response has no request-URI');
    this.startLine = `${this.method} ${uri} SIP/2.0`;
  }

  get status(): number {
    return this.isRequest ? 0 : Number(this.startLine.split(' ')[1]);
  }

  get reason(): string {
    return this.isRequest ? '' : this.startLine.split(' ').slice(2).join(' ');
  }

  get cseq(): number {
    return Number((this.get('CSeq') ?? '').split(/\s+/)[0]);
  }

  get callId(): string {
    return this.get('Call-ID') ?? '';
  }

  get(name: string): string | undefined {
    const wanted = normalName(name);
    return this.headers.find((h) => normalName(h.name) === wanted)?.value;
  }

  getAll(name: string): string[] {
    const wanted = normalName(name);
    return this.headers.filter((h) => normalName(h.name) === wanted).map((h) => h.value);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Replaces every occurrence, keeping the position of the first. */
  set(name: string, value: string): this {
    const wanted = normalName(name);
    const at = this.headers.findIndex((h) => normalName(h.name) === wanted);
    this.remove(name);
    const header = { name: canonicalHeaderName(name), value };
    if (at === -1) this.headers.push(header);
    else this.headers.splice(at, 0, header);
    return this;
  }

  add(name: string, value: string): this {
    this.headers.push({ name: canonicalHeaderName(name), value });
    return this;
  }

  remove(name: string): this {
    const wanted = normalName(name);
    this.headers = this.headers.filter((h) => normalName(h.name) !== wanted);
    return this;
  }

  /** Prints the message; Content-Length is always recomputed (in bytes) and printed last. */
  toString(): string {
    const lines = [this.startLine];
    for (const h of this.headers) {
      if (normalName(h.name) !== 'content-length') lines.push(`${h.name}: ${h.value}`);
    }
    lines.push(`Content-Length: ${Buffer.byteLength(this.body, 'utf8')}`);
    return lines.join(CRLF) + CRLF + CRLF + this.body;
  }

  clone(): SipMessage {
    return new SipMessage(this.startLine, this.headers.map((h) => ({ ...h })), this.body);
  }
}

/** The `tag` parameter of a From/To value (outside the angle brackets), if any. */
export function tagOf(nameAddr: string): string | undefined {
  const params = nameAddr.includes('>') ? nameAddr.slice(nameAddr.lastIndexOf('>') + 1) : nameAddr;
  return /;\s*tag=([^;\s,]+)/i.exec(params)?.[1];
}

export function withTag(nameAddr: string, tag: string): string {
  return tagOf(nameAddr) === undefined ? `${nameAddr};tag=${tag}` : nameAddr;
}

/** The URI inside a name-addr (`"Bob" <sip:bob@x>;tag=1` → `sip:bob@x`) or a bare addr-spec. */
export function uriOf(nameAddr: string): string {
  const angle = /<([^>]*)>/.exec(nameAddr);
  if (angle) return angle[1]!;
  return nameAddr.split(';')[0]!.trim();
}

/** A bare URI as a name-addr, so header parameters cannot be mistaken for URI parameters. */
export function asNameAddr(uriOrNameAddr: string): string {
  return uriOrNameAddr.includes('<') ? uriOrNameAddr : `<${uriOrNameAddr}>`;
}

/** The user part of a SIP URI (`sip:+1555@host` → `+1555`), or '' when there is none. */
export function userOf(uri: string): string {
  return /^sips?:([^@;]+)@/.exec(uri)?.[1] ?? '';
}

export function randomToken(bytes = 6): string {
  return randomBytes(bytes).toString('hex');
}

export function newBranch(): string {
  return `z9hG4bK${randomToken(8)}`;
}

const REASONS: Record<number, string> = {
  100: 'Trying', 180: 'Ringing', 181: 'Call Is Being Forwarded', 183: 'Session Progress',
  200: 'OK', 202: 'Accepted', 302: 'Moved Temporarily', 400: 'Bad Request', 403: 'Forbidden',
  404: 'Not Found', 405: 'Method Not Allowed', 408: 'Request Timeout', 480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist', 486: 'Busy Here', 487: 'Request Terminated',
  488: 'Not Acceptable Here', 500: 'Server Internal Error', 501: 'Not Implemented',
  503: 'Service Unavailable', 603: 'Decline',
};

export function reasonPhrase(status: number): string {
  return REASONS[status] ?? 'Unknown';
}
