/** The far end of a call for RTP tests: a real UDP socket on 127.0.0.1 that sends and records. */
import { createSocket, type Socket } from 'node:dgram';
import { SharedRtpClock } from '../../../src/sip/rtp/rtp-clock.js';
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

/**
 * A send clock the test steps by hand. Everything time-driven in a leg (pacing, silence fill,
 * inactivity) runs on its clock, so "nothing is sent for 80 ms" becomes "stepping 80 ms sends
 * nothing": no sleep, no wall clock. Sockets stay real.
 */
export class SteppedClock {
  nowMs = 0;
  #timers: Array<{ atMs: number; fn: () => void }> = [];
  readonly clock = new SharedRtpClock({
    now: () => this.nowMs,
    setTimer: (fn, ms) => {
      const timer = { atMs: this.nowMs + ms, fn };
      this.#timers.push(timer);
      return timer;
    },
    clearTimer: (handle) => {
      this.#timers = this.#timers.filter((t) => t !== handle);
    },
  });

  /** Runs every timer due within the next `ms`, in order, at its own time. */
  advance(ms: number): void {
    const endMs = this.nowMs + ms;
    for (;;) {
      const next = this.#timers.filter((t) => t.atMs <= endMs).sort((a, b) => a.atMs - b.atMs)[0];
      if (next === undefined) break;
      this.#timers = this.#timers.filter((t) => t !== next);
      this.nowMs = next.atMs;
      next.fn();
    }
    this.nowMs = endMs;
  }
}
