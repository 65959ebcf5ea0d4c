/**
 * Which source addresses may send us INVITEs. Built on node's BlockList, which matches IPv4 and
 * IPv6 subnets natively. An empty list allows no one: the SIP front end refuses to start with one,
 * because answering anyone on the internet costs a model session per call. Accepting everyone
 * takes writing it out: `0.0.0.0/0` (and `::/0`).
 */
import { BlockList, isIP } from 'node:net';

export class SourceAllowList {
  readonly #list = new BlockList();
  /** The operator listed 0.0.0.0/0 or ::/0: the whole of one address family is let in. */
  readonly allowsAll: boolean;
  readonly empty: boolean;

  constructor(entries: readonly string[]) {
    this.empty = entries.length === 0;
    this.allowsAll = entries.some((entry) => /^(0\.0\.0\.0|::)\/0$/.test(entry.trim()));
    for (const entry of entries) {
      const [address = '', prefix] = entry.trim().split('/');
      const family = isIP(address);
      if (family === 0) throw new Error(`sip.allowFrom: "${entry}" is not an IP address or CIDR`);
      const type = family === 6 ? 'ipv6' : 'ipv4';
      if (prefix === undefined) {
        this.#list.addAddress(address, type);
        continue;
      }
      const bits = Number(prefix);
      if (!Number.isInteger(bits) || bits < 0 || bits > (family === 6 ? 128 : 32)) {
        throw new Error(`sip.allowFrom: "${entry}" has an invalid prefix length`);
      }
      this.#list.addSubnet(address, bits, type);
    }
  }

  allows(address: string): boolean {
    const family = isIP(address);
    if (family === 0) return false;
    // IPv4-mapped IPv6 ("::ffff:192.0.2.1") is how a dual-stack socket reports IPv4 peers.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
    if (mapped) return this.#list.check(mapped, 'ipv4');
    return this.#list.check(address, family === 6 ? 'ipv6' : 'ipv4');
  }
}
