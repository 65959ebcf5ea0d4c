import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { RtpPortAllocator } from '../../../src/sip/rtp/port-allocator.js';
import { spawnRtpThread } from '../../../src/sip/rtp/worker/spawn-rtp-thread.js';
import { RtpThreadUnavailableError, WorkerRtp } from '../../../src/sip/rtp/worker/worker-rtp.js';
import { pcmuAudio } from './pcmu-audio.js';

// Nothing listens there; these calls only need their streams opened.
const audio = pcmuAudio({ address: '127.0.0.1', port: 9 });
/** Ports of their own, apart from the other RTP test files running at the same time. */
const PORTS = 36_000 + (process.pid % 50) * 20;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A WorkerRtp on a clock the test moves, whose threads are `broken` (exit at once) or real. */
function startRtp(spawnKind: () => 'broken' | 'real') {
  let nowMs = 0;
  const threads: Worker[] = [];
  const rtp = new WorkerRtp({
    localAddress: '127.0.0.1',
    idleAudio: 'none',
    allocator: new RtpPortAllocator({ minPort: PORTS, maxPort: PORTS + 19 }),
    logger: pino({ level: 'silent' }),
    now: () => nowMs,
    spawn: (settings) => {
      const thread = spawnKind() === 'broken' ? new Worker('process.exit(3)', { eval: true }) : spawnRtpThread(settings);
      threads.push(thread);
      return thread;
    },
  });
  cleanups.push(() => rtp.close());
  return {
    rtp,
    threads,
    advance: (ms: number) => (nowMs += ms),
    /** Resolves once the newest thread has exited. */
    lastExited: () => once(threads[threads.length - 1]!, 'exit'),
  };
}

describe('RTP thread restarts', () => {
  it('holds back a thread that keeps dying at start: calls are refused meanwhile, with the wait doubling', async () => {
    const { rtp, threads, advance, lastExited } = startRtp(() => 'broken');
    await lastExited();
    // The first thread (started with the front end) died before answering: the next start waits 1 s.
    await expect(rtp.open({ audio })).rejects.toBeInstanceOf(RtpThreadUnavailableError);
    await expect(rtp.open({ audio })).rejects.toBeInstanceOf(RtpThreadUnavailableError);
    expect(threads).toHaveLength(1);

    advance(1_000);
    // A new thread is started for this call; it dies too, and the call fails with it.
    await expect(rtp.open({ audio })).rejects.toThrow(/exited/);
    expect(threads).toHaveLength(2);
    advance(1_999);
    await expect(rtp.open({ audio })).rejects.toBeInstanceOf(RtpThreadUnavailableError);
    advance(1);
    await expect(rtp.open({ audio })).rejects.toThrow(/exited/);
    expect(threads).toHaveLength(3);
    expect(rtp.portsInUse).toBe(0);
  });

  it('restarts at once after a thread that had been running dies, and forgets earlier failed starts', async () => {
    let kind: 'broken' | 'real' = 'broken';
    const { rtp, threads, advance, lastExited } = startRtp(() => kind);
    await lastExited();
    kind = 'real';
    advance(1_000);
    const first = await rtp.open({ audio });
    const exited = lastExited();
    await threads[1]!.terminate();
    await exited;
    expect(first.closed).toBe(true);
    // No wait after a thread that ran: the next call gets a new thread straight away.
    const second = await rtp.open({ audio });
    expect(threads).toHaveLength(3);
    second.close('caller_hangup');
    expect(rtp.portsInUse).toBe(0);
  });
});
