/**
 * The benchmark's result: assembled from the raw measurements into one flat, rounded JSON object
 * (key names fixed by the issue), printed either as a table for a person or as one JSON line that
 * ends stdout, and parsed back from such output.
 */
import { z } from 'zod';
import type { ResamplerBackend } from '../audio/resampler.js';
import type { CallStartResult } from './call-start.js';
import type { ResamplerQuality } from './dsp-quality.js';
import type { LoadTarget } from './load-protocol.js';
import { STAGES, type StageBreakdown } from './profile-stages.js';
import type { LoadRoundResult } from './load-round.js';
import type { CreateCost, MediaCost } from './media-cost.js';
import { median, quantile } from './percentile.js';

export interface BackendMeasurements {
  mediaCost: MediaCost;
  createCost: CreateCost;
  /** 8 → 16 kHz (caller to model). */
  up: ResamplerQuality;
  /** 24 → 8 kHz (model to caller). */
  down: ResamplerQuality;
  callStart: CallStartResult;
}

export interface BenchSettings {
  calls: number;
  startCalls: number;
  rounds: number;
  windows: number;
  windowEachMs: number;
  warmupMs: number;
  /** The bridge's resampler backend in the load rounds. */
  loadBackend: ResamplerBackend;
}

export interface BenchMeasurements {
  timestamp: string;
  node: string;
  cpus: number;
  cpuModel: string;
  /** 1-minute load average before and after the run: the machine is shared, this says how busy. */
  loadAverage1m: { start: number; end: number };
  settings: BenchSettings;
  backends: Record<ResamplerBackend, BackendMeasurements>;
  /** Each call count's load rounds, in the order run; the first count gives the main figures. */
  sweep: SweepMeasurements[];
  /** Where the CPU went, from a profiled round per target at the first call count. */
  stages: Record<ProfiledTarget, StageBreakdown>;
  durationMs: number;
}

export interface SweepMeasurements {
  calls: number;
  rounds: Record<LoadTarget, LoadRoundResult[]>;
}

export const PROFILED_TARGETS = ['bridge', 'floor'] as const;
export type ProfiledTarget = (typeof PROFILED_TARGETS)[number];

/** The resampler backend a deployment gets unless it configures another. */
export const DEFAULT_BACKEND: ResamplerBackend = 'fir';

const FRAME_US = 20_000;

const finite = z.number().nullable();

const backendSchema = z.object({
  mediaUsPer20ms: finite,
  inboundUsPer20ms: finite,
  outboundUsPer20ms: finite,
  upDelayMs: finite,
  downDelayMs: finite,
  passbandDeviationDb: finite,
  aliasDb: finite,
  createPairMedianMs: finite,
  createPairWorstMs: finite,
  callStartBlockMs: finite,
  callStartSingleBlockMedianMs: finite,
  callStartSingleBlockWorstMs: finite,
  callStartLoopDelayP99Ms: finite,
  callStartAllActiveMs: finite,
  callStartActiveCalls: z.number(),
  callStartMemoryPerCallBytes: finite,
  callStartRssPerCallBytes: finite,
  callStartEndReasons: z.record(z.string(), z.number()),
});

const loadSchema = z.object({
  target: z.enum(['bridge', 'floor', 'relay']),
  cpuPercent: finite,
  userPercent: finite,
  systemPercent: finite,
  /** Median window: the main thread's share and the other threads' (GC helpers, workers); Linux only. */
  mainThreadPercent: finite,
  otherThreadsPercent: finite,
  cpuPercentByWindow: z.array(finite),
  cpuUsPerCallPer20ms: finite,
  measuredMs: finite,
  upPathP50Ms: finite,
  upPathP99Ms: finite,
  upPathMaxMs: finite,
  upPathSamples: z.number(),
  downPathP50Ms: finite,
  downPathP99Ms: finite,
  downPathMaxMs: finite,
  downPathSamples: z.number(),
  uplinkMessagesAtModelPerS: finite,
  audioMessagesAtCallerPerS: finite,
  framesSentPerS: finite,
  uplinkUnmatched: z.number(),
  responsesUnheard: z.number(),
  driverLateSends: z.number(),
  driverMaxLateMs: finite,
  loopDelayP99Ms: finite,
  loopDelayMaxMs: finite,
  setupMsMedian: finite,
  memoryPerCallBytes: finite,
  rssPerCallBytes: finite,
  endedEarly: z.record(z.string(), z.number()),
  endReasons: z.record(z.string(), z.number()),
});

const sweepSchema = z.object({
  calls: z.number(),
  bridgeCpuUsPerCallPer20ms: finite,
  floorCpuUsPerCallPer20ms: finite,
  relayCpuUsPerCallPer20ms: finite,
  floorCpuRatio: finite,
  relayCpuRatio: finite,
  upPathAddedP99Ms: finite,
  downPathAddedP99Ms: finite,
  bridgeLoopDelayP99Ms: finite,
});

const stagesSchema = z.object({
  totalUsPerCallPer20ms: z.number(),
  cpuPercent: z.number(),
  stagesUsPerCallPer20ms: z.object(Object.fromEntries(STAGES.map((stage) => [stage, z.number()])) as Record<(typeof STAGES)[number], z.ZodNumber>),
});

export const benchReportSchema = z.object({
  timestamp: z.string(),
  node: z.string(),
  cpus: z.number(),
  cpuModel: z.string(),
  loadAverage1mStart: z.number(),
  loadAverage1mEnd: z.number(),
  calls: z.number(),
  startCalls: z.number(),
  /** Measured time per target (bridge, relay): rounds × windows × windowEachMs. */
  windowMs: z.number(),
  windowEachMs: z.number(),
  windowCount: z.number(),
  rounds: z.number(),
  resampler: z.enum(['fir', 'libsamplerate']),
  loadBackend: z.enum(['fir', 'libsamplerate']),
  mediaUsPer20ms: finite,
  upDelayMs: finite,
  downDelayMs: finite,
  passbandDeviationDb: finite,
  aliasDb: finite,
  memoryPerCallBytes: finite,
  memoryMeasure: z.string(),
  rssPerCallBytes: finite,
  callStartBlockMs: finite,
  callStartSingleBlockMs: finite,
  relayCpuRatio: finite,
  /** Bridge CPU ÷ the floor baseline's: what everything beyond the unavoidable per-frame work costs. */
  floorCpuRatio: finite,
  bridgeCpuPercent: finite,
  floorCpuPercent: finite,
  relayCpuPercent: finite,
  bridgeCpuUsPerCallPer20ms: finite,
  floorCpuUsPerCallPer20ms: finite,
  relayCpuUsPerCallPer20ms: finite,
  upPathP50Ms: finite,
  upPathP99Ms: finite,
  downPathP50Ms: finite,
  downPathP99Ms: finite,
  relayUpPathP50Ms: finite,
  relayUpPathP99Ms: finite,
  relayDownPathP50Ms: finite,
  relayDownPathP99Ms: finite,
  upPathAddedP99Ms: finite,
  downPathAddedP99Ms: finite,
  backends: z.object({ fir: backendSchema, libsamplerate: backendSchema }),
  load: z.object({ bridge: loadSchema, floor: loadSchema, relay: loadSchema }),
  /** One entry per --calls count. */
  sweep: z.array(sweepSchema),
  /** µs per call per 20 ms by stage (profile-stages.ts), main-thread JavaScript and what it calls. */
  stages: z.object({ bridge: stagesSchema, floor: stagesSchema }),
  durationMs: z.number(),
});

export type BenchReport = z.infer<typeof benchReportSchema>;
export type BackendReport = z.infer<typeof backendSchema>;
export type LoadReport = z.infer<typeof loadSchema>;
export type SweepReport = z.infer<typeof sweepSchema>;

/** Rounded for reading; NaN and ±Infinity (nothing measured) become null, as JSON would make them. */
function round(value: number, digits: number): number | null {
  if (!Number.isFinite(value)) return null;
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

function difference(a: number | null, b: number | null, digits: number): number | null {
  return a === null || b === null ? null : round(a - b, digits);
}

function backendReport(m: BackendMeasurements): BackendReport {
  return {
    mediaUsPer20ms: round(m.mediaCost.usPer20ms, 1),
    inboundUsPer20ms: round(m.mediaCost.inboundUs, 1),
    outboundUsPer20ms: round(m.mediaCost.outboundUs, 1),
    upDelayMs: round(m.up.delayMs, 3),
    downDelayMs: round(m.down.delayMs, 3),
    passbandDeviationDb: round(Math.max(m.up.passbandDeviationDb, m.down.passbandDeviationDb), 3),
    aliasDb: round(Math.max(m.up.aliasDb, m.down.aliasDb), 1),
    createPairMedianMs: round(m.createCost.medianMs, 2),
    createPairWorstMs: round(m.createCost.worstMs, 2),
    callStartBlockMs: round(m.callStart.blockMs, 2),
    callStartSingleBlockMedianMs: round(m.callStart.singleBlockMedianMs, 2),
    callStartSingleBlockWorstMs: round(m.callStart.singleBlockWorstMs, 2),
    callStartLoopDelayP99Ms: round(m.callStart.loopDelayP99Ms, 2),
    callStartAllActiveMs: round(m.callStart.allActiveMs, 1),
    callStartActiveCalls: m.callStart.activeCalls,
    callStartMemoryPerCallBytes: m.callStart.memory.heapAndExternalBytes,
    callStartRssPerCallBytes: m.callStart.memory.rssBytes,
    callStartEndReasons: m.callStart.endReasons,
  };
}

function mergeCounts(records: ReadonlyArray<Record<string, number>>): Record<string, number> {
  const merged: Record<string, number> = {};
  for (const record of records) {
    for (const [key, count] of Object.entries(record)) merged[key] = (merged[key] ?? 0) + count;
  }
  return merged;
}

function loadReport(rounds: readonly LoadRoundResult[], target: LoadTarget): LoadReport {
  const windows = rounds.flatMap((r) => r.cpuWindows);
  const up = rounds.flatMap((r) => r.driver.upLatenciesMs);
  const down = rounds.flatMap((r) => r.driver.downLatenciesMs);
  const measuredMs = rounds.reduce((sum, r) => sum + r.driver.measuredMs, 0);
  const perSecond = (pick: (r: LoadRoundResult) => number): number =>
    (rounds.reduce((sum, r) => sum + pick(r), 0) / measuredMs) * 1000;
  const calls = median(rounds.map((r) => r.calls));
  const cpuPercent = median(windows.map((w) => w.totalPercent));
  return {
    target,
    cpuPercent: round(cpuPercent, 1),
    userPercent: round(median(windows.map((w) => w.userPercent)), 1),
    systemPercent: round(median(windows.map((w) => w.systemPercent)), 1),
    mainThreadPercent: windows.some((w) => w.mainThreadPercent === null) ? null : round(median(windows.map((w) => w.mainThreadPercent!)), 1),
    otherThreadsPercent: windows.some((w) => w.otherThreadsPercent === null) ? null : round(median(windows.map((w) => w.otherThreadsPercent!)), 1),
    cpuPercentByWindow: windows.map((w) => round(w.totalPercent, 1)),
    cpuUsPerCallPer20ms: round(((cpuPercent / 100) * FRAME_US) / calls, 1),
    measuredMs: round(measuredMs, 0),
    upPathP50Ms: round(quantile(up, 0.5), 3),
    upPathP99Ms: round(quantile(up, 0.99), 3),
    upPathMaxMs: round(quantile(up, 1), 3),
    upPathSamples: up.length,
    downPathP50Ms: round(quantile(down, 0.5), 3),
    downPathP99Ms: round(quantile(down, 0.99), 3),
    downPathMaxMs: round(quantile(down, 1), 3),
    downPathSamples: down.length,
    uplinkMessagesAtModelPerS: round(perSecond((r) => r.driver.counters.uplinkMessagesAtModel), 1),
    audioMessagesAtCallerPerS: round(perSecond((r) => r.driver.counters.audioMessagesAtCaller), 1),
    framesSentPerS: round(perSecond((r) => r.driver.counters.framesSent), 1),
    uplinkUnmatched: rounds.reduce((sum, r) => sum + r.driver.counters.uplinkUnmatched, 0),
    responsesUnheard: rounds.reduce((sum, r) => sum + r.driver.counters.responsesUnheard, 0),
    driverLateSends: rounds.reduce((sum, r) => sum + r.driver.counters.scheduleLateRuns, 0),
    driverMaxLateMs: round(Math.max(0, ...rounds.map((r) => r.driver.counters.scheduleMaxLateMs)), 1),
    loopDelayP99Ms: round(Math.max(0, ...rounds.map((r) => r.loopDelayP99Ms)), 2),
    loopDelayMaxMs: round(Math.max(0, ...rounds.map((r) => r.loopDelayMaxMs)), 2),
    setupMsMedian: round(median(rounds.map((r) => r.setupMs)), 0),
    memoryPerCallBytes: round(median(rounds.map((r) => r.memory.heapAndExternalBytes)), 0),
    rssPerCallBytes: round(median(rounds.map((r) => r.memory.rssBytes)), 0),
    endedEarly: mergeCounts(rounds.map((r) => r.endedEarly)),
    endReasons: mergeCounts(rounds.map((r) => r.endReasons)),
  };
}

/** From the unrounded medians: rounding both percentages first would bias a ratio near 1. */
function medianCpu(rounds: readonly LoadRoundResult[]): number {
  return median(rounds.flatMap((r) => r.cpuWindows.map((w) => w.totalPercent)));
}

function sweepReport(point: SweepMeasurements): SweepReport {
  const [bridge, floor, relay] = (['bridge', 'floor', 'relay'] as const).map((target) => loadReport(point.rounds[target], target));
  return {
    calls: point.calls,
    bridgeCpuUsPerCallPer20ms: bridge!.cpuUsPerCallPer20ms,
    floorCpuUsPerCallPer20ms: floor!.cpuUsPerCallPer20ms,
    relayCpuUsPerCallPer20ms: relay!.cpuUsPerCallPer20ms,
    floorCpuRatio: round(medianCpu(point.rounds.bridge) / medianCpu(point.rounds.floor), 2),
    relayCpuRatio: round(medianCpu(point.rounds.bridge) / medianCpu(point.rounds.relay), 2),
    upPathAddedP99Ms: difference(bridge!.upPathP99Ms, relay!.upPathP99Ms, 3),
    downPathAddedP99Ms: difference(bridge!.downPathP99Ms, relay!.downPathP99Ms, 3),
    bridgeLoopDelayP99Ms: bridge!.loopDelayP99Ms,
  };
}

export function assembleReport(m: BenchMeasurements): BenchReport {
  const fir = backendReport(m.backends.fir);
  const libsamplerate = backendReport(m.backends.libsamplerate);
  const defaults = DEFAULT_BACKEND === 'fir' ? fir : libsamplerate;
  const main = m.sweep[0];
  if (main === undefined) throw new Error('the bench measured no load');
  const bridgeRounds = main.rounds.bridge;
  const bridge = loadReport(bridgeRounds, 'bridge');
  const floor = loadReport(main.rounds.floor, 'floor');
  const relay = loadReport(main.rounds.relay, 'relay');
  const s = m.settings;
  const ratio = medianCpu(bridgeRounds) / medianCpu(main.rounds.relay);
  const floorRatio = medianCpu(bridgeRounds) / medianCpu(main.rounds.floor);
  return {
    timestamp: m.timestamp,
    node: m.node,
    cpus: m.cpus,
    cpuModel: m.cpuModel,
    loadAverage1mStart: round(m.loadAverage1m.start, 2) ?? 0,
    loadAverage1mEnd: round(m.loadAverage1m.end, 2) ?? 0,
    calls: s.calls,
    startCalls: s.startCalls,
    windowMs: s.rounds * s.windows * s.windowEachMs,
    windowEachMs: s.windowEachMs,
    windowCount: s.rounds * s.windows,
    rounds: s.rounds,
    resampler: DEFAULT_BACKEND,
    loadBackend: s.loadBackend,
    mediaUsPer20ms: defaults.mediaUsPer20ms,
    upDelayMs: defaults.upDelayMs,
    downDelayMs: defaults.downDelayMs,
    passbandDeviationDb: defaults.passbandDeviationDb,
    aliasDb: defaults.aliasDb,
    memoryPerCallBytes: bridge.memoryPerCallBytes,
    memoryMeasure: `heapUsed+external after GC, ${s.calls} streaming calls vs none (${s.loadBackend})${
      bridgeRounds.every((r) => r.memory.collected) ? '' : '; GC was not available, so garbage is included'
    }`,
    rssPerCallBytes: bridge.rssPerCallBytes,
    callStartBlockMs: defaults.callStartBlockMs,
    callStartSingleBlockMs: defaults.callStartSingleBlockWorstMs,
    relayCpuRatio: round(ratio, 2),
    floorCpuRatio: round(floorRatio, 2),
    bridgeCpuPercent: bridge.cpuPercent,
    floorCpuPercent: floor.cpuPercent,
    relayCpuPercent: relay.cpuPercent,
    bridgeCpuUsPerCallPer20ms: bridge.cpuUsPerCallPer20ms,
    floorCpuUsPerCallPer20ms: floor.cpuUsPerCallPer20ms,
    relayCpuUsPerCallPer20ms: relay.cpuUsPerCallPer20ms,
    upPathP50Ms: bridge.upPathP50Ms,
    upPathP99Ms: bridge.upPathP99Ms,
    downPathP50Ms: bridge.downPathP50Ms,
    downPathP99Ms: bridge.downPathP99Ms,
    relayUpPathP50Ms: relay.upPathP50Ms,
    relayUpPathP99Ms: relay.upPathP99Ms,
    relayDownPathP50Ms: relay.downPathP50Ms,
    relayDownPathP99Ms: relay.downPathP99Ms,
    upPathAddedP99Ms: difference(bridge.upPathP99Ms, relay.upPathP99Ms, 3),
    downPathAddedP99Ms: difference(bridge.downPathP99Ms, relay.downPathP99Ms, 3),
    backends: { fir, libsamplerate },
    load: { bridge, floor, relay },
    sweep: m.sweep.map(sweepReport),
    stages: m.stages,
    durationMs: Math.round(m.durationMs),
  };
}

/** The machine-readable form: one line, meant to be the last line of stdout. */
export function formatJsonLine(report: BenchReport): string {
  return JSON.stringify(report);
}

/** Reads the report from a benchmark's stdout: its last non-empty line must be the JSON object. */
export function parseReportOutput(stdout: string): BenchReport {
  const lines = stdout.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  const last = lines[lines.length - 1];
  if (last === undefined) throw new Error('benchmark output is empty');
  let parsed: unknown;
  try {
    parsed = JSON.parse(last);
  } catch {
    throw new Error(`the last line of the benchmark output is not JSON: ${last.slice(0, 80)}`);
  }
  const result = benchReportSchema.safeParse(parsed);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new Error(`benchmark JSON is incomplete: ${problems.join('; ')}`);
  }
  return result.data;
}

function show(value: number | null, unit = ''): string {
  return value === null ? '—' : `${value}${unit}`;
}

/** The person-readable form. */
export function formatTable(r: BenchReport): string {
  const b = r.load.bridge;
  const p = r.load.relay;
  const rows: string[][] = [
    ['', 'fir', 'libsamplerate'],
    ['media CPU µs / call / 20 ms', show(r.backends.fir.mediaUsPer20ms), show(r.backends.libsamplerate.mediaUsPer20ms)],
    ['  inbound / outbound', `${show(r.backends.fir.inboundUsPer20ms)} / ${show(r.backends.fir.outboundUsPer20ms)}`, `${show(r.backends.libsamplerate.inboundUsPer20ms)} / ${show(r.backends.libsamplerate.outboundUsPer20ms)}`],
    ['delay up / down ms', `${show(r.backends.fir.upDelayMs)} / ${show(r.backends.fir.downDelayMs)}`, `${show(r.backends.libsamplerate.upDelayMs)} / ${show(r.backends.libsamplerate.downDelayMs)}`],
    ['passband worst |dev| dB', show(r.backends.fir.passbandDeviationDb), show(r.backends.libsamplerate.passbandDeviationDb)],
    ['worst alias/image dB', show(r.backends.fir.aliasDb), show(r.backends.libsamplerate.aliasDb)],
    ['resampler pair create ms (median)', show(r.backends.fir.createPairMedianMs), show(r.backends.libsamplerate.createPairMedianMs)],
    ['loop block, one call starting, ms (median / worst)', `${show(r.backends.fir.callStartSingleBlockMedianMs)} / ${show(r.backends.fir.callStartSingleBlockWorstMs)}`, `${show(r.backends.libsamplerate.callStartSingleBlockMedianMs)} / ${show(r.backends.libsamplerate.callStartSingleBlockWorstMs)}`],
    [`loop block, ${r.startCalls} calls starting together, ms`, show(r.backends.fir.callStartBlockMs), show(r.backends.libsamplerate.callStartBlockMs)],
    ['  all calls settled after ms', show(r.backends.fir.callStartAllActiveMs), show(r.backends.libsamplerate.callStartAllActiveMs)],
    ['  calls active / started', `${r.backends.fir.callStartActiveCalls} / ${r.startCalls}`, `${r.backends.libsamplerate.callStartActiveCalls} / ${r.startCalls}`],
    ['  memory per idle call (heap+ext / RSS)', `${show(r.backends.fir.callStartMemoryPerCallBytes)} / ${show(r.backends.fir.callStartRssPerCallBytes)}`, `${show(r.backends.libsamplerate.callStartMemoryPerCallBytes)} / ${show(r.backends.libsamplerate.callStartRssPerCallBytes)}`],
  ];
  const f = r.load.floor;
  const targets = [b, f, p];
  const each = (cell: (l: LoadReport) => string): string[] => targets.map(cell);
  const load: string[][] = [
    ['', `bridge (${r.loadBackend})`, 'floor baseline', 'plain relay'],
    ['CPU % of one core (median window)', ...each((l) => show(l.cpuPercent))],
    ['  user / system', ...each((l) => `${show(l.userPercent)} / ${show(l.systemPercent)}`)],
    ['  main thread / other threads', ...each((l) => `${show(l.mainThreadPercent)} / ${show(l.otherThreadsPercent)}`)],
    ['CPU µs / call / 20 ms', ...each((l) => show(l.cpuUsPerCallPer20ms))],
    ['up path ms p50 / p99', ...each((l) => `${show(l.upPathP50Ms)} / ${show(l.upPathP99Ms)}`)],
    ['down path ms p50 / p99', ...each((l) => `${show(l.downPathP50Ms)} / ${show(l.downPathP99Ms)}`)],
    ['samples up / down', ...each((l) => `${l.upPathSamples} / ${l.downPathSamples}`)],
    ['event-loop delay p99 ms', ...each((l) => show(l.loopDelayP99Ms))],
    ['driver sends > 5 ms late (its own starvation)', ...each((l) => String(l.driverLateSends))],
    ['memory per streaming call (heap+ext / RSS)', ...each((l) => `${show(l.memoryPerCallBytes)} / ${show(l.rssPerCallBytes)}`)],
  ];
  const stageRows: string[][] = [
    ['', 'bridge', 'floor baseline'],
    ...STAGES.filter((stage) => r.stages.bridge.stagesUsPerCallPer20ms[stage] + r.stages.floor.stagesUsPerCallPer20ms[stage] > 0).map((stage) => [
      stage.replaceAll('_', ' '),
      String(r.stages.bridge.stagesUsPerCallPer20ms[stage]),
      String(r.stages.floor.stagesUsPerCallPer20ms[stage]),
    ]),
    ['all of the above', String(r.stages.bridge.totalUsPerCallPer20ms), String(r.stages.floor.totalUsPerCallPer20ms)],
  ];
  const sweepRows: string[][] = [
    ['calls', 'bridge µs', 'floor µs', 'relay µs', '÷ floor', '÷ relay', 'added p99 up / down ms', 'loop p99 ms'],
    ...r.sweep.map((point) => [
      String(point.calls),
      show(point.bridgeCpuUsPerCallPer20ms),
      show(point.floorCpuUsPerCallPer20ms),
      show(point.relayCpuUsPerCallPer20ms),
      show(point.floorCpuRatio),
      show(point.relayCpuRatio),
      `${show(point.upPathAddedP99Ms)} / ${show(point.downPathAddedP99Ms)}`,
      show(point.bridgeLoopDelayP99Ms),
    ]),
  ];
  const table = (data: string[][]): string[] => {
    const widths = data[0]!.map((_, c) => Math.max(...data.map((row) => row[c]!.length)));
    return data.map((row) => `  ${row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')}`);
  };
  return [
    `qwen-phone-bridge bench — ${r.timestamp}, node ${r.node}, ${r.cpus} × ${r.cpuModel}`,
    `load average (1 min) ${r.loadAverage1mStart} before, ${r.loadAverage1mEnd} after: other work on this machine skews latency tails`,
    '',
    'Resamplers and call start',
    ...table(rows),
    '',
    `Loopback load: ${r.calls} calls both ways, ${r.windowCount} windows × ${r.windowEachMs} ms per target (${r.windowMs} ms)`,
    ...table(load),
    '',
    `  bridge ÷ floor CPU: ${show(r.floorCpuRatio)}; bridge ÷ relay CPU: ${show(r.relayCpuRatio)}`,
    `  path added by the bridge, p99: up ${show(r.upPathAddedP99Ms, ' ms')}, down ${show(r.downPathAddedP99Ms, ' ms')}`,
    `  memory per call: ${show(r.memoryPerCallBytes, ' B')} (${r.memoryMeasure})`,
    '',
    `Where the main thread's CPU went, µs / call / 20 ms (a profiled round of ${r.calls} calls; system time on other threads is not in it)`,
    ...table(stageRows),
    '',
    'By call count (CPU µs / call / 20 ms)',
    ...table(sweepRows),
    `  bridge calls ended: ${JSON.stringify(b.endReasons)}; early: ${JSON.stringify(b.endedEarly)}`,
    `  took ${(r.durationMs / 1000).toFixed(1)} s`,
  ].join('\n');
}
