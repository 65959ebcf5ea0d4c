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
 *     arrives: the deviation from each stream's ideal 20 ms grid is the send jitter. It is
 *     measured twice: with this process left alone, then with its main event loop stalled on
 *     purpose (--stall-ms every --stall-every-ms, busy-waiting; --stalls off skips it), which
 *     is what a GC pause or a slow tool call does to a bridge.
 *  3. Some callers (--barge-in-calls) ask a question, let the answer play and talk over it: the
 *     agent-audio packets they receive after the bridge handled the model's speech_started.
 *  4. The callers hang up one by one: BYE sent → the simulator sees that call's model socket close.
 *
 * --send-thread main runs RTP on the main event loop (the fallback) instead of the RTP thread.
 *
 * Prints a table, or with --json one JSON object as the last line of stdout. Progress goes to
 * stderr. Every wait is bounded, a watchdog ends a stuck run, and the child is killed whatever
 * happens.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { armWatchdog, positiveInteger, progressReporter, recordMachine } from './bench-cli.js';
import { spawnRtpPeers, type RtpPeersChild } from './rtp-peers-child.js';
import { analyseBargeIns, type BargeInSummary } from './sip-barge-in-phase.js';
import { startSipBridge, type SipBridge } from './sip-bridge.js';
import { callerNumber } from './sip-calls.js';
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
    stalls: { type: 'string', default: 'both' },
    'stall-ms': { type: 'string', default: '15' },
    'stall-every-ms': { type: 'string', default: '100' },
    'barge-in-calls': { type: 'string', default: '10' },
    'send-thread': { type: 'string', default: 'worker' },
    'cpu-profile': { type: 'string' },
  },
});
if (values['caller-audio'] !== 'on' && values['caller-audio'] !== 'off') throw new RangeError('--caller-audio must be on or off');
if (values.stalls !== 'both' && values.stalls !== 'off') throw new RangeError('--stalls must be both or off');
const sendThread = values['send-thread'];
if (sendThread !== 'worker' && sendThread !== 'main') throw new RangeError('--send-thread must be worker or main');
const bargeInCalls = Number(values['barge-in-calls']);
if (!Number.isInteger(bargeInCalls) || bargeInCalls < 0)
  throw new RangeError(`--barge-in-calls must be 0 or more, got ${values['barge-in-calls']}`);
const settings: StreamPhaseSettings = {
  calls: positiveInteger('calls', values.calls),
  callsPerSecond: positiveInteger('cps', values.cps),
  warmupMs: positiveInteger('warmup-ms', values['warmup-ms']),
  windowMs: positiveInteger('window-ms', values['window-ms']),
  callerAudio: values['caller-audio'] === 'on',
  lateThresholdMs: LATE_THRESHOLD_MS,
  stalls:
    values.stalls === 'both'
      ? { stallMs: positiveInteger('stall-ms', values['stall-ms']), everyMs: positiveInteger('stall-every-ms', values['stall-every-ms']) }
      : undefined,
  bargeInCalls,
};
const profileDir = values['cpu-profile'];
if (profileDir !== undefined) {
  // The quiet window's main thread, as `npm run bench` profiles its rounds (profile-stages.ts).
  mkdirSync(profileDir, { recursive: true });
  settings.cpuProfilePath = join(profileDir, `sip-${settings.calls}-calls-${sendThread}.cpuprofile`);
}
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
let bargeIn: BargeInSummary | undefined;
const sink = await openSink();
try {
  progress('starting the bridge, the drachtio-server simulator and the Qwen simulator');
  bridge = await startSipBridge({ maxCalls: Math.max(settings.calls, leakConcurrency), sendThread });
  // The baseline: everything up, no call yet, no child process.
  const handlesBefore = handleCounts();
  // The churn runs first: besides the leak check, it takes every code path of a call through
  // its first (lazily compiled, slow) runs, so the timed phase measures a warm process.
  progress(`leak check: ${leakCalls} calls, ${leakConcurrency} at a time`);
  leak = await runChurnPhase(bridge, sink.address().port, {
    calls: leakCalls,
    concurrency: leakConcurrency,
    firstCallNumber: 0,
    handlesBefore,
  });
  progress('starting the RTP peers child');
  peers = await spawnRtpPeers(RUN_LIMIT_MS);
  try {
    stream = await runStreamPhase(bridge, peers, { ...settings, firstCallNumber: leakCalls }, progress);
  } finally {
    await peers.kill();
  }
  if (stream.conversations.length > 0) {
    // Peer n is call number leakCalls + n; the barge-ins are in the records of the calls, which have ended.
    bargeIn = analyseBargeIns(stream.conversations, (n) => callerNumber(leakCalls + n), bridge.ended, bridge.speechStartedAtMs).summary;
  }
} finally {
  await bridge?.close();
  sink.close();
}

const report = assembleSipReport({
  ...machine(),
  settings,
  sendThread,
  stream,
  bargeIn,
  leak,
  durationMs: performance.now() - runStarted,
});
const problems = [
  ...stream.inviteFailures,
  ...stream.byeAnomalies,
  ...leak.failures,
  ...(bargeIn?.missed ?? []).map((from) => `${from}: no barge-in recorded while the caller talked over the agent`),
].slice(0, 10);
for (const problem of problems) console.error(`bench:sip: ${problem}`);
console.log(values.json ? JSON.stringify(report) : formatSipTable(report, problems));
// Everything was closed above; exiting explicitly means a handle someone forgot cannot hang the run.
process.exit(0);
