/**
 * `npm run bench:sip`: the SIP path's bars, measured on this machine, all on 127.0.0.1 — the
 * real bridge (drachtio-srf, SDP, built-in RTP, call core, Qwen client) against the
 * drachtio-server simulator and the Qwen simulator, which run in this process.
 *
 *  1. 1,000 short calls, 20 at a time: afterwards RTP ports, calls, dialogs, model sessions,
 *     sockets and timers must all be back at the baseline taken before the first call. This
 *     also warms the process up for the timed phase.
 *  2. N calls arrive at a fixed rate: INVITE → 200 per call (simulator sends INVITE → simulator
 *     receives our 200 OK). All N stay up; a child process holds their RTP far ends, sends the
 *     caller's audio (silence, every 20 ms) and records when each of the bridge's packets
 *     arrives: the deviation from each stream's ideal 20 ms grid is the send jitter. Then the
 *     callers hang up one by one: BYE sent → the simulator sees that call's model socket close.
 *
 * Prints a table, or with --json one JSON object as the last line of stdout. Progress goes to
 * stderr. Every wait is bounded, a watchdog ends a stuck run, and the child is killed whatever
 * happens.
 */
import { parseArgs } from 'node:util';
import { armWatchdog, positiveInteger, progressReporter, recordMachine } from './bench-cli.js';
import { spawnRtpPeers, type RtpPeersChild } from './rtp-peers-child.js';
import { startSipBridge, type SipBridge } from './sip-bridge.js';
import { handleCounts, openSink, runChurnPhase, type ChurnResult } from './sip-churn-phase.js';
import { assembleSipReport, formatSipTable } from './sip-report.js';
import { runStreamPhase, type StreamPhaseResult, type StreamPhaseSettings } from './sip-stream-phase.js';

/** Well inside the 3 minutes the issue allows is normal; past this the run is stuck, not slow. */
const RUN_LIMIT_MS = 4 * 60_000;
/** More than one packet time late: a far end with a shallow jitter buffer would have to conceal it. */
const LATE_THRESHOLD_MS = 20;

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    calls: { type: 'string', default: '100' },
    cps: { type: 'string', default: '20' },
    'warmup-ms': { type: 'string', default: '3000' },
    'window-ms': { type: 'string', default: '10000' },
    'caller-audio': { type: 'string', default: 'on' },
    'leak-calls': { type: 'string', default: '1000' },
    'leak-concurrency': { type: 'string', default: '20' },
  },
});
if (values['caller-audio'] !== 'on' && values['caller-audio'] !== 'off') throw new RangeError('--caller-audio must be on or off');
const settings: StreamPhaseSettings = {
  calls: positiveInteger('calls', values.calls),
  callsPerSecond: positiveInteger('cps', values.cps),
  warmupMs: positiveInteger('warmup-ms', values['warmup-ms']),
  windowMs: positiveInteger('window-ms', values['window-ms']),
  callerAudio: values['caller-audio'] === 'on',
  lateThresholdMs: LATE_THRESHOLD_MS,
};
const leakCalls = positiveInteger('leak-calls', values['leak-calls']);
const leakConcurrency = positiveInteger('leak-concurrency', values['leak-concurrency']);

const runStarted = performance.now();
const progress = progressReporter('bench:sip', runStarted);

const machine = recordMachine();
let peers: RtpPeersChild | undefined;
armWatchdog('bench:sip', RUN_LIMIT_MS, () => void peers?.kill());

let bridge: SipBridge | undefined;
let stream: StreamPhaseResult;
let leak: ChurnResult;
const sink = await openSink();
try {
  progress('starting the bridge, the drachtio-server simulator and the Qwen simulator');
  bridge = await startSipBridge({ maxCalls: Math.max(settings.calls, leakConcurrency), sendThread: 'worker' });
  // The baseline: everything up, no call yet, no child process.
  const handlesBefore = handleCounts();
  // The churn runs first: besides the leak check, it takes every code path of a call through
  // its first (lazily compiled, slow) runs, so the timed phase measures a warm process.
  progress(`leak check: ${leakCalls} calls, ${leakConcurrency} at a time`);
  leak = await runChurnPhase(bridge, sink.address().port, { calls: leakCalls, concurrency: leakConcurrency, firstCallNumber: 0, handlesBefore });
  progress('starting the RTP peers child');
  peers = await spawnRtpPeers(RUN_LIMIT_MS);
  try {
    stream = await runStreamPhase(bridge, peers, { ...settings, firstCallNumber: leakCalls }, progress);
  } finally {
    await peers.kill();
  }
} finally {
  await bridge?.close();
  sink.close();
}

const report = assembleSipReport({
  ...machine(),
  settings,
  stream,
  leak,
  durationMs: performance.now() - runStarted,
});
const problems = [...stream.inviteFailures, ...stream.byeAnomalies, ...leak.failures].slice(0, 10);
for (const problem of problems) console.error(`bench:sip: ${problem}`);
console.log(values.json ? JSON.stringify(report) : formatSipTable(report, problems));
// Everything was closed above; exiting explicitly means a handle someone forgot cannot hang the run.
process.exit(0);
