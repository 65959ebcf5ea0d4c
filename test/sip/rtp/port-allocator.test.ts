import { describe, expect, it } from 'vitest';
import { RtpPortAllocator, RtpPortsExhaustedError } from '../../../src/sip/rtp/port-allocator.js';

describe('RtpPortAllocator', () => {
  it('hands out even ports whose odd neighbour is inside the range, then fails typed', () => {
    const allocator = new RtpPortAllocator({ minPort: 20_001, maxPort: 20_008 });
    expect(allocator.capacity).toBe(3);
    const ports = [allocator.allocate(), allocator.allocate(), allocator.allocate()];
    expect(ports).toEqual([20_002, 20_004, 20_006]);
    expect(() => allocator.allocate()).toThrow(RtpPortsExhaustedError);
    expect(allocator.inUse).toBe(3);
  });

  it('reuses a released port only after every other free one (FIFO)', () => {
    const allocator = new RtpPortAllocator({ minPort: 30_000, maxPort: 30_007 });
    const first = allocator.allocate();
    allocator.release(first);
    expect(allocator.allocate()).toBe(30_002);
    expect(allocator.allocate()).toBe(30_004);
    expect(allocator.allocate()).toBe(30_006);
    expect(allocator.allocate()).toBe(first);
  });

  it('ignores double and unknown releases', () => {
    const allocator = new RtpPortAllocator({ minPort: 40_000, maxPort: 40_001 });
    const port = allocator.allocate();
    allocator.release(port);
    allocator.release(port);
    allocator.release(12_345);
    expect(allocator.allocate()).toBe(port);
    expect(() => allocator.allocate()).toThrow(RtpPortsExhaustedError);
  });

  it('keeps working through many allocate/release cycles', () => {
    const allocator = new RtpPortAllocator({ minPort: 10_000, maxPort: 10_099 });
    const seen = new Set<number>();
    for (let i = 0; i < 10_000; i++) {
      const port = allocator.allocate();
      seen.add(port);
      allocator.release(port);
    }
    expect(seen.size).toBe(50);
    expect(allocator.inUse).toBe(0);
  });

  it.each([
    [{ minPort: 100, maxPort: 200 }],
    [{ minPort: 60_000, maxPort: 70_000 }],
    [{ minPort: 5000, maxPort: 5000 }],
  ])('rejects the unusable range %o', (range) => {
    expect(() => new RtpPortAllocator(range)).toThrow(RangeError);
  });
});
