/**
 * The RTP leg's view of a UDP socket, and the one implementation over node:dgram. The leg gets
 * a bind function rather than creating sockets itself, so tests can substitute a fake and the
 * composition root decides socket options in one place.
 */
import { createSocket } from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIP, isIPv6 } from 'node:net';
import type { UdpAddress } from './source-latch.js';

export interface RtpSocket {
  send(packet: Uint8Array, to: UdpAddress, onError: (err: Error) => void): void;
  close(): void;
}

export interface RtpSocketHandlers {
  onMessage(data: Buffer, from: UdpAddress): void;
  /** Errors after binding (the leg counts them; a UDP socket survives most of them). */
  onError(err: Error): void;
}

/**
 * dgram resolves every destination through its lookup function, and dns.lookup answers even an
 * IP literal only on the next tick: each packet would leave after the whole task that sent it
 * (a send clock's slot: every other stream's packet, and whatever the slot does next). RTP
 * targets are IP literals (SDP addresses, latched sources), so answering those at once puts the
 * packet on the wire inside send(). Names still go to dns.lookup.
 */
export function literalLookup(
  address: string,
  // Typed as dns.lookup's options; dgram passes the socket's family (4 or 6).
  options: LookupOneOptions | number,
  callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  const literal = isIP(address);
  if (literal !== 0) callback(null, address, literal);
  else if (typeof options === 'number') dnsLookup(address, options, callback);
  else dnsLookup(address, options, callback);
}

/** The bind failed because the port is taken (another process) or refused: worth trying another port. */
export function isAddressUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'EADDRINUSE' || code === 'EACCES';
}

/** Binds a socket on `address:port`; rejects (EADDRINUSE, EACCES, …) when it cannot. */
export type BindRtpSocket = (address: string, port: number, handlers: RtpSocketHandlers) => Promise<RtpSocket>;

export const bindUdpSocket: BindRtpSocket = (address, port, handlers) =>
  new Promise((resolve, reject) => {
    const socket = createSocket({ type: isIPv6(address) ? 'udp6' : 'udp4', reuseAddr: false, lookup: literalLookup });
    const onBindError = (err: Error): void => {
      try {
        socket.close();
      } catch {
        // Already closed by the failed bind; the error that matters is the bind error.
      }
      reject(err);
    };
    socket.once('error', onBindError);
    socket.bind({ address, port, exclusive: true }, () => {
      socket.off('error', onBindError);
      socket.on('error', (err) => handlers.onError(err));
      socket.on('message', (data, rinfo) => handlers.onMessage(data, { address: rinfo.address, port: rinfo.port }));
      let closed = false;
      resolve({
        send(packet, to, onError) {
          if (closed) return;
          socket.send(packet, to.port, to.address, (err) => {
            if (err) onError(err);
          });
        },
        close() {
          if (closed) return;
          closed = true;
          socket.close();
        },
      });
    });
  });
