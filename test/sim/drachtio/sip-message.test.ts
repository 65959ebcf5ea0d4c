import { describe, expect, it } from 'vitest';
import { canonicalHeaderName, SipMessage, tagOf, uriOf, withTag } from '../../../src/sim/drachtio/sip-message.js';

describe('SipMessage', () => {
  it('reads headers case-insensitively and by compact form', () => {
    const m = SipMessage.parse('OPTIONS sip:a@b SIP/2.0\r\ni: abc@host\r\nf: <sip:x@y>;tag=1\r\nCSEQ: 7 OPTIONS\r\n\r\n');
    expect([m.method, m.uri, m.callId, m.cseq]).toEqual(['OPTIONS', 'sip:a@b', 'abc@host', 7]);
    expect(m.get('From')).toBe('<sip:x@y>;tag=1');
  });

  it('cuts the body at Content-Length bytes and prints the byte length back', () => {
    const m = SipMessage.parse('SIP/2.0 200 OK\r\nCSeq: 1 INFO\r\nContent-Length: 4\r\n\r\n\u00e9\u00e9trailing');
    expect(m.body).toBe('\u00e9\u00e9');
    expect([m.status, m.reason, m.method]).toEqual([200, 'OK', 'INFO']);
    expect(m.toString()).toBe('SIP/2.0 200 OK\r\nCSeq: 1 INFO\r\nContent-Length: 4\r\n\r\n\u00e9\u00e9');
  });

  it('rejects text that is not a SIP message', () => {
    expect(() => SipMessage.parse('HELLO\r\n\r\n')).toThrow(/start line/);
    expect(() => SipMessage.parse('SIP/2.0 200 OK\r\nno colon here\r\n\r\n')).toThrow(/header line/);
  });

  it('prints header names the way a SIP stack does', () => {
    expect(['cseq', 'call-id', 'from', 'content-type', 'X-Call-Ref', 'refer-to'].map(canonicalHeaderName))
      .toEqual(['CSeq', 'Call-ID', 'From', 'Content-Type', 'X-Call-Ref', 'Refer-To']);
  });

  it('finds tags outside the angle brackets only', () => {
    expect(tagOf('<sip:a@b;tag=uri-param>')).toBeUndefined();
    expect(tagOf('"A" <sip:a@b>;tag=abc')).toBe('abc');
    expect(withTag('<sip:a@b>', 'x')).toBe('<sip:a@b>;tag=x');
    expect(withTag('<sip:a@b>;tag=y', 'x')).toBe('<sip:a@b>;tag=y');
    expect(uriOf('"A" <sip:a@b;transport=tcp>;tag=1')).toBe('sip:a@b;transport=tcp');
  });
});
