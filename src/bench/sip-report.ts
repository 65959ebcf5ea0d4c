/**
 * The SIP benchmark's result: the raw measurements assembled into one flat, rounded JSON object
 * (key names fixed by the issue), printed as a table for a person or as one JSON line that ends
 * stdout.
 */
import { quantile } from './percentile.js';
import type { ChurnResult } from './sip-churn-phase.js';
import type { StreamPhaseResult, StreamPhaseSettings } from './sip-stream-phase.js';

export interface SipBenchMeasurements {
  timestamp: string;
  node: string;
  cpus: number;
  cpuModel: string;
  /** 1-minute load average before and after: the machine is shared, this says how busy it was. */
  loadAverage1m: { start: number; end: number };
  settings: StreamPhaseSettings;
  stream: StreamPhaseResult;
  leak: ChurnResult;
  durationMs: number;
}

/** Rounded for reading; NaN and ±Infinity (nothing measured) become null, as JSON would make them. */
function round(value: number, digits = 2): number | null {
  if (!Number.isFinite(value)) return null;
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

export function assembleSipReport(m: SipBenchMeasurements) {
  const { stream, leak, settings: s } = m;
  const grid = stream.receiver.grid;
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
    inviteTo200P50Ms: round(quantile(stream.inviteTo200Ms, 0.5)),
    inviteTo200P99Ms: round(quantile(stream.inviteTo200Ms, 0.99)),
    inviteTo200MaxMs: round(quantile(stream.inviteTo200Ms, 1)),
    inviteTo200Samples: stream.inviteTo200Ms.length,
    inviteFailures: stream.inviteFailures.length,
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
    rtpWindowMs: round(stream.receiver.measuredMs, 0),
    warmupMs: s.warmupMs,
    receiverInChildProcess: true,
    receiverLoopDelayP99Ms: round(stream.receiver.receiverLoopDelayP99Ms),
    receiverLoopDelayMaxMs: round(stream.receiver.receiverLoopDelayMaxMs),
    receiverCpuPercent: round(stream.receiver.receiverCpuPercent, 1),
    callerSendsLate: stream.receiver.callerSendsLate,
    bridgeCpuPercent: round(stream.bridgeCpuPercent, 1),
    bridgeLoopDelayP99Ms: round(stream.bridgeLoopDelayP99Ms),
    bridgeLoopDelayMaxMs: round(stream.bridgeLoopDelayMaxMs),
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
export function formatSipTable(r: SipBenchReport, problems: readonly string[]): string {
  const l = r.leak1000;
  const rows: Array<[string, string]> = [
    [`INVITE → 200 p50 / p99 / max (${r.inviteTo200Samples} calls, ${r.callsPerSecond}/s)`, `${show(r.inviteTo200P50Ms)} / ${show(r.inviteTo200P99Ms)} / ${show(r.inviteTo200MaxMs)}`],
    [`RTP send jitter |Δ| p50 / p99 / max (${r.rtpStreams} streams)`, `${show(r.rtpSendJitterP50Ms)} / ${show(r.rtpSendJitterP99Ms)} / ${show(r.rtpSendJitterMaxMs)}`],
    ['  signed Δ earliest / latest (first packet’s grid)', `${show(r.rtpSendDeviationEarliestMs)} / ${show(r.rtpSendDeviationLatestMs)}`],
    ['  lateness vs each stream’s best case p50 / p99', `${show(r.rtpSendLatenessP50Ms)} / ${show(r.rtpSendLatenessP99Ms)}`],
    [`  packets > ${r.rtpLateThresholdMs} ms late / measured`, `${r.rtpLatePackets} / ${r.rtpPackets}`],
    ['  slots with no packet', String(r.rtpMissingSlots)],
    ['  caller audio sent back', r.callerAudio ? 'yes (silence, 20 ms)' : 'no'],
    ['  receiver (child) loop delay p99 / CPU', `${show(r.receiverLoopDelayP99Ms)} / ${show(r.receiverCpuPercent, ' %')}`],
    ['  bridge process CPU (% of one core)', show(r.bridgeCpuPercent, ' %')],
    ['  bridge loop delay p99 / max', `${show(r.bridgeLoopDelayP99Ms)} / ${show(r.bridgeLoopDelayMaxMs)}`],
    [`BYE → model session closed p50 / p99 / max (${r.byeSamples})`, `${show(r.byeToModelClosedP50Ms)} / ${show(r.byeToModelClosedP99Ms)} / ${show(r.byeToModelClosedMaxMs)}`],
    [`${l.calls} calls, ${l.concurrency} at a time: back to baseline`, l.clean ? 'yes' : 'NO'],
    ['  RTP ports / calls / dialogs / model sessions left', `${l.rtpPortsInUse} / ${l.liveCalls} / ${l.serverDialogs} / ${l.modelSessionsOpen}`],
    ['  handles before', handles(l.handlesBefore)],
    ['  handles after', handles(l.handlesAfter)],
    ['  end reasons', JSON.stringify(l.endReasons)],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return [
    `qwen-phone-bridge SIP bench — ${r.timestamp}, node ${r.node}, ${r.cpus} × ${r.cpuModel}`,
    `load average (1 min) ${r.loadAverage1mStart} before, ${r.loadAverage1mEnd} after: other work on this machine skews latency tails`,
    'drachtio-server simulator, Qwen simulator and bridge in one process; RTP far ends in a child process; all on 127.0.0.1',
    '',
    ...rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`),
    ...(problems.length > 0 ? ['', 'problems:', ...problems.map((p) => `  ${p}`)] : []),
    '',
    `  took ${(r.durationMs / 1000).toFixed(1)} s`,
  ].join('\n');
}
