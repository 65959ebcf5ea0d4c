import { describe, expect, it } from 'vitest';
import { AuthFailureLimiter } from '../../src/media/auth-failure-limiter.js';
import { LogSampler } from '../../src/media/log-sampler.js';

function clock() {
  let nowMs = 0;
  return { now: () => nowMs, advance: (ms: number) => (nowMs += ms) };
}

describe('AuthFailureLimiter', () => {
  it('allows the burst, then perMinute, per address', () => {
    const c = clock();
    const limiter = new AuthFailureLimiter({ burst: 3, perMinute: 6 }, c.now);
    for (let i = 0; i < 3; i += 1) {
      expect(limiter.limited('203.0.113.7')).toBe(false);
      limiter.failed('203.0.113.7');
    }
    expect(limiter.limited('203.0.113.7')).toBe(true);
    expect(limiter.retryAfterSeconds('203.0.113.7')).toBe(10);
    expect(limiter.limited('203.0.113.8')).toBe(false);
    c.advance(10_000);
    expect(limiter.limited('203.0.113.7')).toBe(false);
    limiter.failed('203.0.113.7');
    expect(limiter.limited('203.0.113.7')).toBe(true);
    // Fully recovered addresses are forgotten.
    c.advance(60_000);
    expect(limiter.limited('203.0.113.7')).toBe(false);
    expect(limiter.sources).toBe(0);
  });

  it('keys IPv6 by /64 and IPv4-mapped addresses as IPv4', () => {
    const limiter = new AuthFailureLimiter({ burst: 1, perMinute: 1 }, clock().now);
    limiter.failed('2001:db8:1:2::1');
    expect(limiter.limited('2001:0db8:0001:0002:ffff::9')).toBe(true);
    expect(limiter.limited('2001:db8:1:3::1')).toBe(false);
    limiter.failed('::ffff:198.51.100.4');
    expect(limiter.limited('198.51.100.4')).toBe(true);
  });

  it('remembers a bounded number of addresses, and nothing when off', () => {
    const limiter = new AuthFailureLimiter({ burst: 2, perMinute: 1, maxSources: 100 }, clock().now);
    for (let i = 0; i < 1_000; i += 1) limiter.failed(`10.0.${i >> 8}.${i & 255}`);
    expect(limiter.sources).toBe(100);
    const off = new AuthFailureLimiter({ burst: 0, perMinute: 1 }, clock().now);
    for (let i = 0; i < 50; i += 1) off.failed('10.0.0.1');
    expect(off.limited('10.0.0.1')).toBe(false);
    expect(off.sources).toBe(0);
  });
});

describe('LogSampler', () => {
  it('writes perWindow lines per kind and window; the first line after says how many were left out', () => {
    const c = clock();
    const sampler = new LogSampler({ perWindow: 2, windowMs: 1_000, now: c.now });
    const written = Array.from({ length: 10 }, () => sampler.take('a')).filter((s) => s.write);
    expect(written).toEqual([
      { write: true, suppressed: 0 },
      { write: true, suppressed: 0 },
    ]);
    expect(sampler.take('b')).toEqual({ write: true, suppressed: 0 });
    c.advance(1_000);
    expect(sampler.take('a')).toEqual({ write: true, suppressed: 8 });
    expect(sampler.take('a')).toEqual({ write: true, suppressed: 0 });
  });
});
