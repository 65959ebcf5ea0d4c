/**
 * The SIP benchmark's result: the raw measurements assembled into one flat, rounded JSON object
 * (key names fixed by the issue), printed as a table for a person or as one JSON line that ends
 * stdout.
 */
import { quantile } from './percentile.js';
import type { BargeInSummary } from './sip-barge-in-phase.js';
import type { ChurnResult } from './sip-churn-phase.js';
import type { StreamPhaseResult, StreamPhaseSettings } from './sip-stream-phase.js';
import type { WindowResult } from './sip-window.js';

export interface SipBenchMeasurements {
  timestamp: string;
  node: string;
  cpus: number;
  cpuModel: string;
  /** 1-minute load average before and after: the machine is shared, this says how busy it was. */
  loadAverage1m: { start: number; end: number };
  settings: StreamPhaseSettings;
  sendThread: 'worker' | 'main';
  stream: StreamPhaseResult;
  bargeIn: BargeInSummary | undefined;
  leak: ChurnResult;
  durationMs: number;
}

/** Rounded for reading; NaN and ±Infinity (nothing measured) become null, as JSON would make them. */
function round(value: number, digits = 2): number | null {
  if (!Number.isFinite(value)) return null;
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** A window's figures under the names the quiet window has always had at the top level. */
function windowFigures(w: WindowResult) {
  const grid = w.receiver.grid;
  return {
    rtpSendJitterP50Ms: round(grid.p50Ms, 3),
    rtpSendJitterP99Ms: round(grid.p99Ms, 3),
    rtpSendJitterMaxMs: round(grid.maxMs, 3),
    rtpSendDeviationEarliestMs: round(grid.earliestMs, 3),
    rtpSendDeviationLatestMs: round(grid.latestMs, 3),
    rtpSendLatenessP50Ms: round(grid.latenessP50Ms, 3),
    rtpSendLatenessP99Ms: round(grid.latenessP99Ms, 3),
    rtpLatePackets: grid.latePackets,
    rtpLateThresholdMs: grid.lateThresholdMs,
    rtpPackets: grid.packets,
    rtpStreams: grid.streams,
    rtpMissingSlots: grid.missingSlots,
    rtpWindowMs: round(w.receiver.measuredMs, 0),
    receiverLoopDelayP99Ms: round(w.receiver.receiverLoopDelayP99Ms),
    receiverLoopDelayMaxMs: round(w.receiver.receiverLoopDelayMaxMs),
    receiverCpuPercent: round(w.receiver.receiverCpuPercent, 1),
    callerSendsLate: w.receiver.callerSendsLate,
    bridgeCpuPercent: round(w.bridgeCpuPercent, 1),
    bridgeMainThreadCpuPercent: w.mainThreadCpuPercent === null ? null : round(w.mainThreadCpuPercent, 1),
    bridgeOtherThreadsCpuPercent: w.otherThreadsCpuPercent === null ? null : round(w.otherThreadsCpuPercent, 1),
    bridgeLoopDelayP99Ms: round(w.bridgeLoopDelayP99Ms),
    bridgeLoopDelayMaxMs: round(w.bridgeLoopDelayMaxMs),
    sendClockSlots: w.sendClock.slots,
    sendClockStartLateP50Ms: round(w.sendClock.startLateP50Ms),
    sendClockStartLateP99Ms: round(w.sendClock.startLateP99Ms),
    sendClockStartLateMaxMs: round(w.sendClock.startLateMaxMs),
    sendClockDoneLateP99Ms: round(w.sendClock.doneLateP99Ms),
    sendClockDoneLateMaxMs: round(w.sendClock.doneLateMaxMs),
  };
}

function bargeInFigures(b: BargeInSummary) {
  return {
    calls: b.calls,
    measured: b.measured,
    missed: b.missed.length,
    agentPacketsAfterSpeechStartedTotal: b.agentPacketsAfterSpeechStartedTotal,
    agentPacketsAfterSpeechStartedP50: round(b.agentPacketsAfterSpeechStartedP50),
    agentPacketsAfterSpeechStartedP99: round(b.agentPacketsAfterSpeechStartedP99),
    agentPacketsAfterSpeechStartedMax: round(b.agentPacketsAfterSpeechStartedMax),
    callsWithAgentPacketsAfter: b.callsWithAgentPacketsAfter,
    agentPacketsDueAfterSpeechStartedTotal: b.agentPacketsDueAfterSpeechStartedTotal,
    callsWithAgentPacketsDueAfter: b.callsWithAgentPacketsDueAfter,
    lastAgentPacketAfterSpeechStartedP50Ms: round(b.lastAgentPacketAfterSpeechStartedP50Ms, 2),
    lastAgentPacketAfterSpeechStartedP99Ms: round(b.lastAgentPacketAfterSpeechStartedP99Ms, 2),
    lastAgentPacketAfterSpeechStartedMaxMs: round(b.lastAgentPacketAfterSpeechStartedMaxMs, 2),
    lastAgentPacketDueAfterSpeechStartedMaxMs: round(b.lastAgentPacketDueAfterSpeechStartedMaxMs, 2),
    speechStartedAfterCallerSpokeP50Ms: round(b.speechStartedAfterCallerSpokeP50Ms, 0),
  };
}

export function assembleSipReport(m: SipBenchMeasurements) {
  const { stream, leak, settings: s } = m;
  const stalled = stream.stalled;
  return {
    timestamp: m.timestamp,
    node: m.node,
    cpus: m.cpus,
    cpuModel: m.cpuModel,
    loadAverage1mStart: round(m.loadAverage1m.start) ?? 0,
    loadAverage1mEnd: round(m.loadAverage1m.end) ?? 0,
    calls: s.calls,
    callsPerSecond: s.callsPerSecond,
    callerAudio: s.callerAudio,
    sendThread: m.sendThread,
    inviteTo200P50Ms: round(quantile(stream.inviteTo200Ms, 0.5)),
    inviteTo200P99Ms: round(quantile(stream.inviteTo200Ms, 0.99)),
    inviteTo200MaxMs: round(quantile(stream.inviteTo200Ms, 1)),
    inviteTo200Samples: stream.inviteTo200Ms.length,
    inviteFailures: stream.inviteFailures.length,
    // The quiet window (main loop left alone), under the keys earlier runs used.
    ...windowFigures(stream.quiet),
    loadAverage1mQuietWindow: round(stream.quiet.loadAverage1m),
    /** The quiet window's main thread by stage, µs per call per 20 ms, with --cpu-profile. */
    stages: stream.quiet.stages ?? null,
    warmupMs: s.warmupMs,
    receiverInChildProcess: true,
    withStalls:
      stalled?.stalls === undefined
        ? null
        : {
            stallMs: stalled.stalls.stallMs,
            stallEveryMs: stalled.stalls.everyMs,
            stalls: stalled.stalls.count,
            stalledMs: round(stalled.stalls.stalledMs, 0),
            loadAverage1m: round(stalled.loadAverage1m),
            ...windowFigures(stalled),
          },
    bargeIn: m.bargeIn === undefined ? null : bargeInFigures(m.bargeIn),
    byeToModelClosedP50Ms: round(quantile(stream.byeToModelClosedMs, 0.5)),
    byeToModelClosedP99Ms: round(quantile(stream.byeToModelClosedMs, 0.99)),
    byeToModelClosedMaxMs: round(quantile(stream.byeToModelClosedMs, 1)),
    byeSamples: stream.byeToModelClosedMs.length,
    byeAnomalies: stream.byeAnomalies.length,
    leak1000: {
      calls: leak.calls,
      concurrency: leak.concurrency,
      failed: leak.failed,
      durationMs: round(leak.durationMs, 0),
      endReasons: leak.endReasons,
      rtpPortsInUse: leak.rtpPortsInUse,
      liveCalls: leak.liveCalls,
      serverDialogs: leak.serverDialogs,
      modelSessionsOpen: leak.modelSessionsOpen,
      handlesBefore: leak.handlesBefore,
      handlesAfter: leak.handlesAfter,
      rtpThread: leak.rtpThread,
      clean: leak.clean,
    },
    durationMs: Math.round(m.durationMs),
  };
}

export type SipBenchReport = ReturnType<typeof assembleSipReport>;

function show(value: number | null, unit = ' ms'): string {
  return value === null ? '—' : `${value}${unit}`;
}

function handles(counts: Record<string, number>): string {
  return ['UDPWrap', 'TCPSocketWrap', 'Timeout'].map((kind) => `${kind} ${counts[kind] ?? 0}`).join(', ');
}

/** The person-readable form. */
type WindowFigures = ReturnType<typeof windowFigures>;

function windowRows(w: WindowFigures, title: string): Array<[string, string]> {
  return [
    [
      `${title}: RTP send jitter |Δ| p50 / p99 / max (${w.rtpStreams} streams)`,
      `${show(w.rtpSendJitterP50Ms)} / ${show(w.rtpSendJitterP99Ms)} / ${show(w.rtpSendJitterMaxMs)}`,
    ],
    ['  signed Δ earliest / latest (first packet’s grid)', `${show(w.rtpSendDeviationEarliestMs)} / ${show(w.rtpSendDeviationLatestMs)}`],
    ['  lateness vs each stream’s best case p50 / p99', `${show(w.rtpSendLatenessP50Ms)} / ${show(w.rtpSendLatenessP99Ms)}`],
    [`  packets > ${w.rtpLateThresholdMs} ms late / measured`, `${w.rtpLatePackets} / ${w.rtpPackets}`],
    ['  slots with no packet', String(w.rtpMissingSlots)],
    ['  receiver (child) loop delay p99 / CPU', `${show(w.receiverLoopDelayP99Ms)} / ${show(w.receiverCpuPercent, ' %')}`],
    ['  bridge process CPU (% of one core, all threads)', show(w.bridgeCpuPercent, ' %')],
    [
      '  … main thread / other threads (the RTP thread, GC helpers)',
      `${show(w.bridgeMainThreadCpuPercent, ' %')} / ${show(w.bridgeOtherThreadsCpuPercent, ' %')}`,
    ],
    ['  bridge main loop delay p99 / max', `${show(w.bridgeLoopDelayP99Ms)} / ${show(w.bridgeLoopDelayMaxMs)}`],
    [
      '  send clock (own timing): slot started late p50 / p99 / max',
      `${show(w.sendClockStartLateP50Ms)} / ${show(w.sendClockStartLateP99Ms)} / ${show(w.sendClockStartLateMaxMs)}`,
    ],
    ['  send clock: all packets out, late p99 / max', `${show(w.sendClockDoneLateP99Ms)} / ${show(w.sendClockDoneLateMaxMs)}`],
  ];
}

export function formatSipTable(r: SipBenchReport, problems: readonly string[]): string {
  const l = r.leak1000;
  const st = r.withStalls;
  const b = r.bargeIn;
  const rows: Array<[string, string]> = [
    [
      `INVITE → 200 p50 / p99 / max (${r.inviteTo200Samples} calls, ${r.callsPerSecond}/s)`,
      `${show(r.inviteTo200P50Ms)} / ${show(r.inviteTo200P99Ms)} / ${show(r.inviteTo200MaxMs)}`,
    ],
    ['RTP runs on', r.sendThread === 'worker' ? 'the RTP I/O thread' : 'the main event loop'],
    ['caller audio sent back', r.callerAudio ? 'yes (silence, 20 ms)' : 'no'],
    ...windowRows(r, `quiet (load ${r.loadAverage1mQuietWindow})`),
    ...(st === null
      ? []
      : windowRows(st, `main loop stalled ${st.stallMs} ms every ${st.stallEveryMs} ms (${st.stalls} stalls, load ${st.loadAverage1m})`)),
    ...(b === null
      ? []
      : ([
          [`barge-ins measured / callers`, `${b.measured} / ${b.calls}`],
          [
            '  agent packets arrived after speech_started: total / p50 / p99 / max',
            `${b.agentPacketsAfterSpeechStartedTotal} / ${b.agentPacketsAfterSpeechStartedP50} / ${b.agentPacketsAfterSpeechStartedP99} / ${b.agentPacketsAfterSpeechStartedMax}`,
          ],
          [
            '  … of them due (send slot) after speech_started: packets / calls',
            `${b.agentPacketsDueAfterSpeechStartedTotal} / ${b.callsWithAgentPacketsDueAfter}`,
          ],
          [
            '  last agent packet arrived vs speech_started p50 / p99 / max',
            `${show(b.lastAgentPacketAfterSpeechStartedP50Ms)} / ${show(b.lastAgentPacketAfterSpeechStartedP99Ms)} / ${show(b.lastAgentPacketAfterSpeechStartedMaxMs)}`,
          ],
          ['  caller’s tone → speech_started handled, p50', show(b.speechStartedAfterCallerSpokeP50Ms)],
        ] as Array<[string, string]>)),
    [
      `BYE → model session closed p50 / p99 / max (${r.byeSamples})`,
      `${show(r.byeToModelClosedP50Ms)} / ${show(r.byeToModelClosedP99Ms)} / ${show(r.byeToModelClosedMaxMs)}`,
    ],
    [`${l.calls} calls, ${l.concurrency} at a time: back to baseline`, l.clean ? 'yes' : 'NO'],
    [
      '  RTP ports / calls / dialogs / model sessions left',
      `${l.rtpPortsInUse} / ${l.liveCalls} / ${l.serverDialogs} / ${l.modelSessionsOpen}`,
    ],
    ['  handles before', handles(l.handlesBefore)],
    ['  handles after', handles(l.handlesAfter)],
    ['  RTP thread: streams / its handles', l.rtpThread ? `${l.rtpThread.streams} / ${handles(l.rtpThread.threadHandles ?? {})}` : '—'],
    ['  end reasons', JSON.stringify(l.endReasons)],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return [
    `qwen-phone-bridge SIP bench — ${r.timestamp}, node ${r.node}, ${r.cpus} × ${r.cpuModel}`,
    `load average (1 min) ${r.loadAverage1mStart} before, ${r.loadAverage1mEnd} after: other work on this machine skews latency tails`,
    'drachtio-server simulator, Qwen simulator and bridge in one process (RTP in its worker thread unless --send-thread main); RTP far ends in a child process; all on 127.0.0.1',
    '',
    ...rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`),
    ...(problems.length > 0 ? ['', 'problems:', ...problems.map((p) => `  ${p}`)] : []),
    '',
    `  took ${(r.durationMs / 1000).toFixed(1)} s`,
  ].join('\n');
}
