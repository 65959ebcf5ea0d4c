/**
 * Even RTP ports from a configured range, each with its odd neighbour reserved for RTCP.
 *
 * Free ports form a FIFO queue: a released port goes to the back, so it is reused as late as
 * possible. Handing the lowest free port out again at once would let the tail of the previous
 * call's RTP (in flight, or from a far end that has not yet seen the BYE) land in the next call.
 */
export class RtpPortsExhaustedError extends Error {
  override readonly name = 'RtpPortsExhaustedError';

  constructor(readonly capacity: number) {
    super(`all ${capacity} RTP ports are in use`);
  }
}

export interface RtpPortRange {
  /** Lowest port that may be used (rounded up to even). */
  minPort: number;
  /** Highest port that may be used, RTCP included. */
  maxPort: number;
}

/**
 * Where an RTP leg gets its port and gives it back. The allocator below is the real one; the RTP
 * I/O thread hands its legs the one port the main thread already allocated.
 */
export interface RtpPortSource {
  allocate(): number;
  release(port: number): void;
}

export class RtpPortAllocator implements RtpPortSource {
  readonly capacity: number;
  readonly #free: number[] = [];
  #head = 0;
  readonly #inUse = new Set<number>();

  constructor(range: RtpPortRange) {
    const first = range.minPort + (range.minPort % 2);
    if (!Number.isInteger(range.minPort) || !Number.isInteger(range.maxPort) || first < 1024 || range.maxPort > 65_535) {
      throw new RangeError(`RTP port range ${range.minPort}-${range.maxPort} must lie within 1024-65535`);
    }
    for (let port = first; port + 1 <= range.maxPort; port += 2) this.#free.push(port);
    if (this.#free.length === 0) throw new RangeError(`RTP port range ${range.minPort}-${range.maxPort} holds no even/odd pair`);
    this.capacity = this.#free.length;
  }

  get inUse(): number {
    return this.#inUse.size;
  }

  /** The next free RTP port (even; port + 1 is reserved with it). */
  allocate(): number {
    if (this.#head === this.#free.length) throw new RtpPortsExhaustedError(this.capacity);
    const port = this.#free[this.#head]!;
    this.#head += 1;
    // Compact now and then so the queue does not grow without bound over a long uptime.
    if (this.#head >= 1024 && this.#head * 2 >= this.#free.length) {
      this.#free.splice(0, this.#head);
      this.#head = 0;
    }
    this.#inUse.add(port);
    return port;
  }

  /** Give a port back. Releasing a port that is not allocated does nothing (close is idempotent). */
  release(port: number): void {
    if (!this.#inUse.delete(port)) return;
    this.#free.push(port);
  }
}
