/**
 * Symmetric RTP (RFC 4961 behaviour, "comedia"): send to where the far end's RTP comes from,
 * not only to the address in its SDP, because behind NAT the SDP names a private address.
 *
 * Until RTP arrives we send to the signalled address. The first valid packet's source is latched
 * and becomes the send target. While that source keeps sending, packets from any other source
 * are foreign and ignored: that is what keeps a stray or injected stream (RTP bleed) out of the
 * call. If the latched source falls silent for `relatchAfterMs`, the next source that sends is
 * latched instead (a NAT rebinding, a carrier moving media to another server). A new signalled
 * address (re-INVITE) drops the latch at once.
 */
export interface UdpAddress {
  address: string;
  port: number;
}

export type LatchOutcome = 'latched' | 'accepted' | 'foreign';

function sameAddress(a: UdpAddress, b: UdpAddress): boolean {
  return a.port === b.port && a.address === b.address;
}

export class SourceLatch {
  readonly #relatchAfterMs: number;
  #signalled: UdpAddress | undefined;
  #latched: UdpAddress | undefined;
  #lastFromLatchedMs = 0;

  constructor(opts: { signalled?: UdpAddress; relatchAfterMs: number }) {
    this.#signalled = opts.signalled;
    this.#relatchAfterMs = opts.relatchAfterMs;
  }

  /** Where RTP should go now: the latched source, else the SDP's address, else nowhere. */
  get target(): UdpAddress | undefined {
    return this.#latched ?? this.#signalled;
  }

  get latched(): UdpAddress | undefined {
    return this.#latched;
  }

  /** The SDP's address, after a re-INVITE. A changed address drops the latch. */
  setSignalled(signalled: UdpAddress | undefined): void {
    const changed =
      signalled === undefined || this.#signalled === undefined ? signalled !== this.#signalled : !sameAddress(signalled, this.#signalled);
    this.#signalled = signalled;
    if (changed) this.#latched = undefined;
  }

  /** Classifies a valid RTP packet's source and latches on to it when allowed. */
  accept(from: UdpAddress, nowMs: number): LatchOutcome {
    if (this.#latched && sameAddress(this.#latched, from)) {
      this.#lastFromLatchedMs = nowMs;
      return 'accepted';
    }
    if (this.#latched && nowMs - this.#lastFromLatchedMs < this.#relatchAfterMs) return 'foreign';
    this.#latched = { address: from.address, port: from.port };
    this.#lastFromLatchedMs = nowMs;
    return 'latched';
  }
}
