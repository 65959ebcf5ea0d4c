import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { authenticateUpgrade } from '../../src/media/fork-auth.js';
import { isValidTwilioSignature } from '../../src/twilio/signature.js';

const config = { authToken: 'the-secret', twilioAuthToken: 'twilio-auth-token' };

function request(path: string, headers: Record<string, string> = {}): [IncomingMessage, URL] {
  const req = { url: path, headers: { host: 'bridge.example.com', ...headers } } as unknown as IncomingMessage;
  return [req, new URL(path, 'http://x.invalid')];
}

describe('authenticateUpgrade', () => {
  it.each([
    ['query token', '/media/twilio?token=the-secret', {}],
    ['bearer header', '/media/twilio', { authorization: 'Bearer the-secret' }],
    ['X-Bridge-Token header', '/media/twilio', { 'x-bridge-token': 'the-secret' }],
    ['basic auth password (mod_audio_fork, jambonz wsAuth)', '/media/twilio', {
      authorization: `Basic ${Buffer.from('fs:the-secret').toString('base64')}`,
    }],
  ])('accepts the secret as %s', (_name, path, headers) => {
    expect(authenticateUpgrade(...request(path, headers), false, config)).toEqual({ ok: true, method: 'token' });
  });

  it('refuses a missing, a wrong and a prefix-of token', () => {
    expect(authenticateUpgrade(...request('/media/twilio'), false, config)).toEqual({ ok: false, reason: 'missing_credentials' });
    expect(authenticateUpgrade(...request('/media/twilio?token=nope'), false, config)).toEqual({ ok: false, reason: 'bad_token' });
    expect(authenticateUpgrade(...request('/media/twilio?token=the-secre'), false, config)).toEqual({ ok: false, reason: 'bad_token' });
  });

  it('accepts a Twilio signature over the public wss URL only where the route allows it', () => {
    // Vector computed independently: printf %s URL | openssl dgst -sha1 -hmac twilio-auth-token -binary | base64
    const signed = { 'x-twilio-signature': 'drgx/7dYGQ08RSxLqBcYRAVADK8=' };
    expect(authenticateUpgrade(...request('/media/twilio?x=1', signed), true, config)).toEqual({
      ok: true,
      method: 'twilio_signature',
    });
    expect(authenticateUpgrade(...request('/media/twilio?x=1', signed), false, config).ok).toBe(false);
    expect(authenticateUpgrade(...request('/media/twilio?x=2', signed), true, config)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('uses publicBaseUrl instead of the Host header when behind a proxy', () => {
    const signed = { 'x-twilio-signature': 'drgx/7dYGQ08RSxLqBcYRAVADK8=', host: '10.0.0.5:8080' };
    const behindProxy = { ...config, publicBaseUrl: 'wss://bridge.example.com/' };
    expect(authenticateUpgrade(...request('/media/twilio?x=1', signed), true, behindProxy).ok).toBe(true);
    expect(authenticateUpgrade(...request('/media/twilio?x=1', signed), true, config).ok).toBe(false);
  });
});

describe('isValidTwilioSignature', () => {
  it('accepts the URL with or without the default port, as Twilio does', () => {
    // Signed with the explicit :443.
    const signature = 'XtpAZF4Wq72/wKQNO2MIUNUcdhs=';
    expect(isValidTwilioSignature('twilio-auth-token', 'wss://bridge.example.com:443/media/twilio', signature)).toBe(true);
    expect(isValidTwilioSignature('twilio-auth-token', 'wss://bridge.example.com/media/twilio', signature)).toBe(true);
    expect(isValidTwilioSignature('twilio-auth-token', 'wss://bridge.example.com:8443/media/twilio', signature)).toBe(false);
    expect(isValidTwilioSignature('other-token', 'wss://bridge.example.com/media/twilio', signature)).toBe(false);
  });
});
