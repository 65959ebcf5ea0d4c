import { describe, expect, it } from 'vitest';
import { SourceLatch } from '../../../src/sip/rtp/source-latch.js';

const sdpAddress = { address: '10.0.0.5', port: 4000 };
const natted = { address: '203.0.113.9', port: 61_000 };
const other = { address: '192.0.2.66', port: 5000 };

describe('SourceLatch', () => {
  it('sends to the SDP address until RTP arrives, then to the source it came from', () => {
    const latch = new SourceLatch({ signalled: sdpAddress, relatchAfterMs: 1000 });
    expect(latch.target).toEqual(sdpAddress);
    expect(latch.accept(natted, 0)).toBe('latched');
    expect(latch.target).toEqual(natted);
    expect(latch.accept(natted, 20)).toBe('accepted');
  });

  it('ignores a second source while the first is active, and takes it over once the first is silent', () => {
    const latch = new SourceLatch({ signalled: sdpAddress, relatchAfterMs: 1000 });
    latch.accept(natted, 0);
    expect(latch.accept(other, 500)).toBe('foreign');
    expect(latch.accept(natted, 900)).toBe('accepted');
    expect(latch.accept(other, 1899)).toBe('foreign');
    expect(latch.accept(other, 1900)).toBe('latched');
    expect(latch.target).toEqual(other);
  });

  it('a new signalled address drops the latch; the same one does not', () => {
    const latch = new SourceLatch({ signalled: sdpAddress, relatchAfterMs: 1000 });
    latch.accept(natted, 0);
    latch.setSignalled({ ...sdpAddress });
    expect(latch.target).toEqual(natted);
    latch.setSignalled({ address: '10.0.0.6', port: 4000 });
    expect(latch.target).toEqual({ address: '10.0.0.6', port: 4000 });
    expect(latch.accept(other, 10)).toBe('latched');
  });

  it('has no target on hold (no signalled address) until RTP arrives', () => {
    const latch = new SourceLatch({ relatchAfterMs: 1000 });
    expect(latch.target).toBeUndefined();
    latch.accept(natted, 0);
    latch.setSignalled(undefined);
    expect(latch.target).toEqual(natted);
  });
});
