import { describe, expect, it } from 'vitest';
import { loggableUrl } from '../src/loggable-url.js';

describe('loggableUrl: what a logged URL may show', () => {
  it('hides the value of every query parameter not known to be harmless, whatever its name', () => {
    const names = ['token', 'access_token', 'Token', 'auth', 'key', 'api_key', 'apikey', 'signature', 'password', 'x'];
    for (const name of names) {
      const logged = loggableUrl(new URL(`/media/twilio?${name}=s3cr3t-Value&model=qwen3.5-omni-flash-realtime`, 'http://h.invalid'), { pathOnly: true });
      expect(logged).toBe(`/media/twilio?${name}=[redacted]&model=qwen3.5-omni-flash-realtime`);
    }
  });

  it('hides a parameter name that does not look like a name (a bare key as the query)', () => {
    expect(loggableUrl('wss://h.example/realtime?sk-0123456789abcdef')).toBe('wss://h.example/realtime?[redacted]=[redacted]');
  });

  it('never shows userinfo, and says it was there', () => {
    const logged = loggableUrl('wss://alice:hunter2@proxy.example:8443/api-ws/v1/realtime?model=m');
    expect(logged).toBe('wss://[redacted]@proxy.example:8443/api-ws/v1/realtime?model=m');
    expect(loggableUrl('wss://only-user-token@proxy.example/')).toBe('wss://[redacted]@proxy.example/');
  });

  it('hides path segments long enough to be tokens, and the fragment', () => {
    expect(loggableUrl('https://h.example/hooks/T0123456789ABCDEFGHIJ/v1#frag')).toBe('https://h.example/hooks/[redacted]/v1');
  });

  it('escapes a shown value so it cannot forge a log line, and survives an unparsable URL', () => {
    expect(loggableUrl('https://h.example/?model=a%0Ab')).toBe('https://h.example/?model=a%0Ab');
    expect(loggableUrl('not a url sk-secret')).toBe('[unparsable URL, 19 characters]');
  });
});
