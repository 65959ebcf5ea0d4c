/**
 * The RTP I/O thread's entry point (started by spawn-rtp-thread.ts): a SharedRtpClock of its own
 * and the stream host, driven by the main thread's messages. Nothing else runs on this thread, so
 * its timers fire on time whatever the main event loop is doing, and its clock can afford to wait
 * out the last stretch before each slot blocking (precise to about 0.1 ms).
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { SharedRtpClock } from '../rtp-clock.js';
import { blockUntil } from './blocking-wait.js';
import { RtpStreamHost } from './rtp-stream-host.js';
import type { RtpThreadSettings, ToRtpThread } from './rtp-thread-protocol.js';

const port = parentPort;
if (port === null) throw new Error('rtp-thread.ts runs as a worker thread, started by the SIP front end');
const settings = workerData as RtpThreadSettings;
const host = new RtpStreamHost({
  localAddress: settings.localAddress,
  idleAudio: settings.idleAudio,
  // This thread does nothing else, so its clock may block for the last 2 ms before each slot.
  clock: new SharedRtpClock({ waitUntil: (dueMs) => blockUntil(dueMs) }),
  post: (message, transfer) => port.postMessage(message, transfer),
  takeMessage: () => receiveMessageOnPort(port)?.message as ToRtpThread | undefined,
});
port.on('message', (message: ToRtpThread) => host.handle(message));
