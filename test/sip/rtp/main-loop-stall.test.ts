/**
 * What the RTP I/O thread is for: this thread busy-waits 100 ms while a stream plays, and the
 * far end keeps receiving packets meanwhile. The far end lives in a thread of its own (this one
 * is blocked) and stamps arrivals with wall-clock-based time (timeOrigin + now), which both
 * threads share. With `sendThread: main` the same block stops the stream, which shows the test
 * can tell the two apart.
 */
import { Worker } from 'node:worker_threads';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { MainThreadRtp } from '../../../src/sip/rtp/main-thread-rtp.js';
import { RtpPortAllocator } from '../../../src/sip/rtp/port-allocator.js';
import type { RtpStreams } from '../../../src/sip/rtp/rtp-stream.js';
import { WorkerRtp } from '../../../src/sip/rtp/worker/worker-rtp.js';
import { pcmuAudio } from './pcmu-audio.js';

/** The far end: a UDP socket in its own thread that records (time, sequence number) of every packet. */
const RECEIVER = `
const { parentPort } = require('node:worker_threads');
const dgram = require('node:dgram');
const socket = dgram.createSocket('udp4');
const arrivals = [];
socket.on('message', (data) => arrivals.push([performance.timeOrigin + performance.now(), data.readUInt16BE(2)]));
socket.bind(0, '127.0.0.1', () => parentPort.postMessage({ port: socket.address().port }));
parentPort.on('message', (message) => {
  if (message === 'report') parentPort.postMessage({ arrivals });
  else socket.close(() => parentPort.close());
});
`;

interface Receiver {
  port: number;
  arrivals(): Promise<Array<[atMs: number, sequence: number]>>;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const thread = new Worker(RECEIVER, { eval: true });
  const next = <T>(): Promise<T> => new Promise((resolve) => thread.once('message', resolve));
  const { port } = await next<{ port: number }>();
  return {
    port,
    arrivals: async () => {
      const reply = next<{ arrivals: Array<[number, number]> }>();
      thread.postMessage('report');
      return (await reply).arrivals;
    },
    close: async () => {
      thread.postMessage('close');
      await new Promise((resolve) => thread.once('exit', resolve));
    },
  };
}

const epochMs = () => performance.timeOrigin + performance.now();

function busyWait(ms: number): { startMs: number; endMs: number } {
  const startMs = epochMs();
  while (epochMs() - startMs < ms) {
    // Blocking this thread on purpose: no timer, message or socket callback runs here meanwhile.
  }
  return { startMs, endMs: epochMs() };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Plays a second of audio to the receiver, blocks this thread for 100 ms in the middle, and returns what arrived. */
async function playThroughABlock(streams: RtpStreams) {
  cleanups.push(() => streams.close());
  const receiver = await startReceiver();
  cleanups.push(() => receiver.close());
  const stream = await streams.open({
    audio: pcmuAudio({ address: '127.0.0.1', port: receiver.port }),
  });
  // A second of speech queued at once (the call would pace it; the queue is what plays on a stall).
  for (let k = 0; k < 50; k++) stream.sendAudio(new Int16Array(160).fill(1000 + k));
  // Let it start playing.
  for (let i = 0; i < 200 && (await receiver.arrivals()).length < 5; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  const block = busyWait(100);
  const arrivals = await receiver.arrivals();
  stream.close('test over');
  return { block, arrivals, during: arrivals.filter(([atMs]) => atMs > block.startMs + 20 && atMs < block.endMs) };
}

describe('a blocked main event loop', () => {
  it('does not stop the RTP thread: packets keep arriving, in sequence, while this thread busy-waits 100 ms', async () => {
    const rtp = new WorkerRtp({
      localAddress: '127.0.0.1',
      idleAudio: 'none',
      allocator: new RtpPortAllocator({ minPort: 36_000 + (process.pid % 100) * 4, maxPort: 36_003 + (process.pid % 100) * 4 }),
      logger: pino({ level: 'silent' }),
    });
    const { arrivals, during } = await playThroughABlock(rtp);
    expect(arrivals.length).toBeGreaterThanOrEqual(5);
    // 80 ms of the block is four slots; a loaded machine may cost one.
    expect(during.length).toBeGreaterThanOrEqual(3);
    const sequences = arrivals.map(([, sequence]) => sequence);
    expect(sequences.slice(1).every((sequence, i) => sequence === ((sequences[i]! + 1) & 0xffff))).toBe(true);
  });

  it('with sendThread main, the same block stops the stream until it ends', async () => {
    const rtp = new MainThreadRtp({
      localAddress: '127.0.0.1',
      idleAudio: 'none',
      allocator: new RtpPortAllocator({ minPort: 36_400 + (process.pid % 100) * 4, maxPort: 36_403 + (process.pid % 100) * 4 }),
    });
    const { arrivals, during } = await playThroughABlock(rtp);
    expect(arrivals.length).toBeGreaterThanOrEqual(5);
    expect(during).toEqual([]);
  });
});
