import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.js';

describe('the root logger, second line of defence', () => {
  it('censors every header value, tokens, keys and passwords, at debug level too', () => {
    const lines: string[] = [];
    const log = createLogger('trace', { write: (line: string) => void lines.push(line) });
    log.debug({ headers: { 'x-api-key': 'hv-1', cookie: 'hv-2' }, req: { headers: { 'x-vendor-auth': 'hv-3' } } }, 'request');
    log.trace({ token: 'tv-1', apiKey: 'kv-1', password: 'pv-1', nested: { authorization: 'Bearer av-1' } }, 'secrets');
    const all = lines.join('');
    for (const secret of ['hv-1', 'hv-2', 'hv-3', 'tv-1', 'kv-1', 'pv-1', 'av-1']) expect(all).not.toContain(secret);
    expect(all).toContain('x-api-key');
  });
});
