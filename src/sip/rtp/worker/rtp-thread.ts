/**
 * The RTP I/O thread's entry point (started by spawn-rtp-thread.ts): a SharedRtpClock of its own
 * and the stream host, driven by the main thread's messages. Nothing else runs on this thread, so
 * its timers fire on time whatever the main event loop is doing.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SharedRtpClock } from '../rtp-clock.js';
import { RtpStreamHost } from './rtp-stream-host.js';
import type { RtpThreadSettings, ToRtpThread } from './rtp-thread-protocol.js';

const port = parentPort;
if (port === null) throw new Error('rtp-thread.ts runs as a worker thread, started by the SIP front end');
const settings = workerData as RtpThreadSettings;
const host = new RtpStreamHost({
  localAddress: settings.localAddress,
  idleAudio: settings.idleAudio,
  clock: new SharedRtpClock(),
  post: (message, transfer) => port.postMessage(message, transfer),
});
port.on('message', (message: ToRtpThread) => host.handle(message));
