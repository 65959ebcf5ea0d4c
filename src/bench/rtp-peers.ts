/**
 * The far ends of `npm run bench:sip`'s calls, as a child process: one UDP socket per call that
 * records when each RTP packet from the bridge arrives and sends the caller's (silent) audio
 * back. Arrival times are taken in this process, which does little else, so they measure the
 * bridge's pacing rather than the benchmark's own event loop.
 *
 * Started by rtp-peers-child.ts with an IPC channel; exits when the benchmark disconnects (also
 * when it dies) or after --max-ms, whichever comes first.
 */
import { createSocket, type Socket } from 'node:dgram';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { mulawEncode } from '../audio/g711.js';
import { parseRtp, serializeRtp } from '../sip/rtp/rtp-packet.js';
import { BargeInCaller, TONE_PAYLOAD } from './barge-in-caller.js';
import { FixedRateSchedule, type ScheduledTask } from './fixed-rate-schedule.js';
import { analyseGrid, type Arrival } from './rtp-grid.js';
import type { ConversationReport, ReceiverSummary, RtpPeersCalls, RtpPeersMessage, RtpPeersReply, RtpPeersRequest } from './rtp-peers-protocol.js';

const FRAME_MS = 20;
const SILENCE = mulawEncode(new Int16Array(160));
/** The bridge's idle payload (mu-law digital silence): anything else in a packet is agent audio. */
const IDLE_BYTE = 0xff;
/** Epoch milliseconds with sub-millisecond resolution, comparable across processes on this machine. */
const epochMs = (): number => performance.timeOrigin + performance.now();

const { values } = parseArgs({ options: { 'max-ms': { type: 'string', default: '240000' } } });
const send = process.send?.bind(process);
if (send === undefined) {
  console.error('rtp-peers is started by the SIP benchmark (npm run bench:sip); it needs an IPC channel');
  process.exit(2);
}

/**
 * Arrival times and RTP timestamps in preallocated typed arrays: recording a packet allocates
 * nothing, so the receiver's own garbage collection stays out of the arrival times it measures.
 */
class ArrivalLog {
  #atMs = new Float64Array(1024);
  #timestamps = new Float64Array(1024);
  #length = 0;

  add(atMs: number, timestamp: number): void {
    if (this.#length === this.#atMs.length) {
      const atMs = new Float64Array(this.#length * 2);
      atMs.set(this.#atMs);
      this.#atMs = atMs;
      const timestamps = new Float64Array(this.#length * 2);
      timestamps.set(this.#timestamps);
      this.#timestamps = timestamps;
    }
    this.#atMs[this.#length] = atMs;
    this.#timestamps[this.#length] = timestamp;
    this.#length += 1;
  }

  get length(): number {
    return this.#length;
  }

  clear(): void {
    this.#length = 0;
  }

  arrivals(): Arrival[] {
    return Array.from({ length: this.#length }, (_, i) => ({ atMs: this.#atMs[i]!, timestamp: this.#timestamps[i]! }));
  }
}

/** RTP version 2 with a full fixed header: the bridge's packets (it sends nothing else here). */
const isRtp = (data: Buffer): boolean => data.length >= 12 && data[0]! >> 6 === 2;

class Peer implements ScheduledTask {
  readonly arrivals = new ArrivalLog();
  /** Set for the barge-in measurement's callers. */
  caller: BargeInCaller | undefined;
  #sent = 0;
  #target: number | undefined;

  constructor(readonly socket: Socket) {
    socket.on('message', (data) => {
      // Timestamp first: everything after it is this process's cost, not the bridge's.
      const atMs = performance.now();
      if (isRtp(data)) {
        // Recorded outside the window too (and dropped), so the window's first packets do not pay
        // for compiling this path: that once made every stream's first packet late by 3 ms.
        if (!measuring && this.arrivals.length >= 1024) this.arrivals.clear();
        this.arrivals.add(atMs, data.readUInt32BE(4));
      }
      const caller = this.caller;
      if (caller === undefined) return;
      const parsed = parseRtp(data);
      if (!parsed.ok) return;
      const agent = parsed.packet.payload.some((byte) => byte !== IDLE_BYTE);
      caller.received(performance.timeOrigin + atMs, parsed.packet.timestamp, agent);
    });
    socket.on('error', () => undefined);
  }

  sendTo(port: number): void {
    this.#target = port;
  }

  run(dueMs: number): number | undefined {
    if (this.#target === undefined) return undefined;
    const header = { payloadType: 0, sequenceNumber: this.#sent & 0xffff, timestamp: (this.#sent * 160) >>> 0, ssrc: 0xca11, marker: this.#sent === 0 };
    this.#sent += 1;
    const payload = this.caller?.speaks(epochMs()) ? TONE_PAYLOAD : SILENCE;
    this.socket.send(serializeRtp(header, payload), this.#target, '127.0.0.1');
    return dueMs + FRAME_MS;
  }
}

let peers: Peer[] = [];
let measuring = false;
let measureStarted = 0;
let measuredMs = 0;
let callerSendsLate = 0;
let cpuAtStart = process.cpuUsage();
let cpuMs = 0;
const schedule = new FixedRateSchedule();
const loop = monitorEventLoopDelay({ resolution: 1 });

function bind(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve(socket));
  });
}

async function open(count: number): Promise<{ ports: number[] }> {
  const sockets = await Promise.all(Array.from({ length: count }, bind));
  const opened = sockets.map((socket) => new Peer(socket));
  peers.push(...opened);
  return { ports: opened.map((peer) => peer.socket.address().port) };
}

function startSending(targets: number[]): null {
  const now = performance.now();
  targets.forEach((port, i) => {
    const peer = peers[i];
    if (peer === undefined) return;
    peer.sendTo(port);
    // Spread over the period, as independent phones would be, so no burst delays the receive side.
    schedule.add(peer, now + FRAME_MS + (i * FRAME_MS) / targets.length);
  });
  return null;
}

function measure(on: boolean): null {
  if (on) {
    for (const peer of peers) peer.arrivals.clear();
    schedule.resetStats();
    loop.reset();
    loop.enable();
    measureStarted = performance.now();
    cpuAtStart = process.cpuUsage();
    measuring = true;
  } else if (measuring) {
    measuring = false;
    loop.disable();
    measuredMs = performance.now() - measureStarted;
    const cpu = process.cpuUsage(cpuAtStart);
    cpuMs = (cpu.user + cpu.system) / 1000;
    callerSendsLate = schedule.lateRuns;
  }
  return null;
}

function summary(lateThresholdMs: number): ReceiverSummary {
  return {
    grid: analyseGrid(
      peers.map((peer) => peer.arrivals.arrivals()),
      lateThresholdMs,
    ),
    receiverLoopDelayP99Ms: loop.percentile(99) / 1e6,
    receiverLoopDelayMaxMs: loop.max / 1e6,
    receiverCpuPercent: measuredMs > 0 ? (cpuMs / measuredMs) * 100 : Number.NaN,
    callerSendsLate,
    measuredMs,
  };
}

function converse(indexes: number[], bargeInAfterAgentMs: number): null {
  for (const index of indexes) {
    const peer = peers[index];
    if (peer === undefined) throw new Error(`no peer ${index}`);
    peer.caller = new BargeInCaller(index, bargeInAfterAgentMs);
  }
  return null;
}

function conversation(): { peers: ConversationReport[] } {
  return { peers: peers.flatMap((peer) => (peer.caller ? [peer.caller.report] : [])) };
}

function close(): null {
  schedule.stop();
  for (const peer of peers) peer.socket.close();
  peers = [];
  return null;
}

async function handle(request: RtpPeersRequest): Promise<RtpPeersCalls[RtpPeersRequest['kind']]['result']> {
  switch (request.kind) {
    case 'open':
      return open(request.body.count);
    case 'send':
      return startSending(request.body.targets);
    case 'measure':
      return measure(request.body.on);
    case 'summary':
      return summary(request.body.lateThresholdMs);
    case 'converse':
      return converse(request.body.peers, request.body.bargeInAfterAgentMs);
    case 'conversation':
      return conversation();
    case 'close':
      return close();
  }
}

const reply = (message: RtpPeersReply): void => {
  try {
    send(message);
  } catch {
    // The benchmark is gone; 'disconnect' ends this process.
  }
};

setTimeout(() => {
  console.error(`rtp-peers: still running after ${values['max-ms']} ms; exiting`);
  process.exit(3);
}, Number(values['max-ms'])).unref();
process.on('disconnect', () => {
  close();
  process.exit(0);
});
process.on('message', (message: RtpPeersRequest) => {
  handle(message).then(
    (result) => reply({ id: message.id, ok: true, result }),
    (err: unknown) => reply({ id: message.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
  );
});
send({ kind: 'ready' } satisfies RtpPeersMessage);
