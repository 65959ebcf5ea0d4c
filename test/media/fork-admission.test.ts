/**
 * Hardening of the fork endpoint's door: failed authentications limited per source address and
 * counted, refused-upgrade lines sampled, one guess per way of presenting a token, a warning for
 * short tokens. Real sockets on 127.0.0.1.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, TestClient, TOKEN, type Harness } from './fork-harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function capture(): { lines: () => Array<Record<string, unknown>>; logger: pino.Logger } {
  const raw: string[] = [];
  return {
    logger: pino({ level: 'trace' }, { write: (line: string) => void raw.push(line) }),
    lines: () => raw.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('failed authentications from one address', () => {
  it('are refused with 429 once the burst is used up, the right token included, and counted', async () => {
    h = await startHarness({ authFailureLimits: { burst: 3, perMinute: 1 } });
    for (let i = 0; i < 3; i += 1) expect(await TestClient.refusal(h.url('/media/twilio', `guess-${i}`))).toBe(401);
    expect(await TestClient.refusal(h.url('/media/twilio', 'guess-3'))).toBe(429);
    // Limited means limited: the address cannot confirm a guess by trying it.
    expect(await TestClient.refusal(h.url('/media/twilio'))).toBe(429);
    const counts = h.fork.counts();
    expect(counts.rejected.unauthorized).toBe(3);
    expect(counts.rejected.rate_limited).toBe(2);
    expect(counts.authFailures).toEqual({ missing_credentials: 0, bad_token: 3, bad_signature: 0 });
  });

  it('are not limited when the limit is off (behind a proxy)', async () => {
    h = await startHarness({ authFailureLimits: { burst: 0, perMinute: 1 } });
    for (let i = 0; i < 25; i += 1) expect(await TestClient.refusal(h.url('/media/twilio', `guess-${i}`))).toBe(401);
    const client = await TestClient.open(h.url('/media/twilio'));
    client.ws.close();
  });

  it('count one guess per way of presenting a token, however often the query repeats it', async () => {
    h = await startHarness();
    const guesses = Array.from({ length: 350 }, (_, i) => `token=guess-${i}`).join('&');
    expect(await TestClient.refusal(`ws://127.0.0.1:${h.port}/media/twilio?${guesses}&token=${TOKEN}`)).toBe(401);
  });
});

describe('log lines an outsider can cause', () => {
  it('are sampled: 40 refused upgrades write a handful of lines, the next one says how many were left out', async () => {
    const log = capture();
    h = await startHarness({ logger: log.logger, authFailureLimits: { burst: 0, perMinute: 1 } });
    for (let i = 0; i < 40; i += 1) await TestClient.refusal(h.url('/media/twilio', `guess-${i}`));
    const refused = log.lines().filter((l) => l.msg === 'media upgrade refused');
    expect(refused.length).toBe(5);
    expect(h.fork.counts().rejected.unauthorized).toBe(40);
  });

  it('warn at start when the media token is short enough to guess', async () => {
    const log = capture();
    h = await startHarness({ logger: log.logger, authToken: 'x' });
    expect(log.lines().find((l) => String(l.msg).startsWith('BRIDGE_MEDIA_TOKEN is short'))).toMatchObject({ length: 1, minimum: 16 });
    const quiet = capture();
    await h.close();
    h = await startHarness({ logger: quiet.logger });
    expect(quiet.lines().some((l) => String(l.msg).startsWith('BRIDGE_MEDIA_TOKEN is short'))).toBe(false);
  });
});
