/** The far end of a call for RTP tests: a real UDP socket on 127.0.0.1 that sends and records. */
import { createSocket, type Socket } from 'node:dgram';
import { parseRtp, serializeRtp, type RtpHeader, type RtpPacket } from '../../../src/sip/rtp/rtp-packet.js';
import type { UdpAddress } from '../../../src/sip/rtp/source-latch.js';

export interface Received {
  packet: RtpPacket;
  atMs: number;
}

export class RtpPeer {
  readonly received: Received[] = [];
  readonly #socket: Socket;
  readonly address: UdpAddress;

  private constructor(socket: Socket) {
    this.#socket = socket;
    const bound = socket.address();
    this.address = { address: bound.address, port: bound.port };
    socket.on('message', (data) => {
      const parsed = parseRtp(data);
      if (parsed.ok) this.received.push({ packet: parsed.packet, atMs: performance.now() });
    });
  }

  static open(): Promise<RtpPeer> {
    return new Promise((resolve, reject) => {
      const socket = createSocket('udp4');
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => resolve(new RtpPeer(socket)));
    });
  }

  sendRaw(data: Uint8Array, to: UdpAddress): Promise<void> {
    return new Promise((resolve, reject) => this.#socket.send(data, to.port, to.address, (err) => (err ? reject(err) : resolve())));
  }

  sendRtp(header: RtpHeader, payload: Uint8Array, to: UdpAddress): Promise<void> {
    return this.sendRaw(serializeRtp(header, payload), to);
  }

  close(): void {
    this.#socket.close();
  }
}

/** Polls until `check` holds; fails with `what` after `timeoutMs`. */
export async function waitUntil(check: () => boolean, what: string, timeoutMs = 1000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
