/**
 * `npm run bench`: what the bridge costs and adds, measured on this machine.
 *
 *  1. Call start: M callers connect at once; the longest event-loop stall and memory per call,
 *     for both resampler backends (libsamplerate's create() blocks the loop). The FIR runs
 *     first and libsamplerate after the load test, for the reason given in 3.
 *  2. Loopback load: N callers streaming both ways through the real bridge, then the same load
 *     through the floor baseline (floor-bridge.ts: only the unavoidable per-frame work) and a
 *     plain ws relay, in alternating rounds of short windows. With --cpu-profile DIR, each
 *     round's measured windows are CPU-profiled into DIR (see profile-stages.ts). The callers and a fake
 *     model run in a child process; this process's CPU is what is compared, and the child
 *     measures the path latency each adds.
 *  3. Media CPU per call per 20 ms and resampler quality (media-cost.ts, dsp-quality.ts), both
 *     backends. These run last because libsamplerate instances, once freed, change how glibc
 *     serves later large allocations; the load test should see a process without that history.
 *
 * Prints a table, or with --json one JSON object as the last line of stdout. Progress goes to
 * stderr. Every phase has a time limit and the child is killed whatever happens.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ResamplerBackend } from '../audio/resampler.js';
import { createResamplerFactory } from '../audio/resampler-factory.js';
import { armWatchdog, positiveInteger, progressReporter, recordMachine } from './bench-cli.js';
import {
  assembleReport,
  formatJsonLine,
  formatTable,
  PROFILED_TARGETS,
  type BackendMeasurements,
  type ProfiledTarget,
  type SweepMeasurements,
} from './bench-report.js';
import { measureCallStart, type CallStartResult } from './call-start.js';
import { measureQuality } from './dsp-quality.js';
import { spawnLoadChild, type LoadChild } from './load-child.js';
import { LOAD_TARGETS, type LoadTarget } from './load-protocol.js';
import { runLoadRound, type LoadRoundResult } from './load-round.js';
import { measureCreateCost, measureMediaCost } from './media-cost.js';
import { readProfile, stageBreakdown, type StageBreakdown } from './profile-stages.js';
import { upHoldBackSamples } from './up-hold-back.js';

const BACKENDS: readonly ResamplerBackend[] = ['fir', 'libsamplerate'];
/** The whole run must stay well inside a few minutes; past this it is stuck, not slow. */
const RUN_LIMIT_MS = 6 * 60_000;
const CALL_START_TIMEOUT_MS = 60_000;
/** The issue asks for at least this much measured time per target. */
const MIN_MEASURED_MS = 10_000;

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    /** One count, or a list (10,50,100): the first gives the report's main figures, each gets a sweep entry. */
    calls: { type: 'string', default: '50,10,100' },
    'start-calls': { type: 'string' },
    rounds: { type: 'string', default: '3' },
    windows: { type: 'string', default: '2' },
    'window-ms': { type: 'string', default: '2000' },
    'warmup-ms': { type: 'string', default: '2000' },
    'load-backend': { type: 'string', default: 'fir' },
    'cpu-profile': { type: 'string' },
  },
});
function backendOption(raw: string): ResamplerBackend {
  if (raw === 'fir' || raw === 'libsamplerate') return raw;
  throw new RangeError(`--load-backend must be fir or libsamplerate, got ${raw}`);
}

const callCounts = values.calls.split(',').map((raw) => positiveInteger('calls', raw.trim()));
const settings = {
  calls: callCounts[0]!,
  startCalls: positiveInteger('start-calls', values['start-calls'] ?? String(callCounts[0])),
  rounds: positiveInteger('rounds', values.rounds),
  windows: positiveInteger('windows', values.windows),
  windowEachMs: positiveInteger('window-ms', values['window-ms']),
  warmupMs: positiveInteger('warmup-ms', values['warmup-ms']),
  loadBackend: backendOption(values['load-backend']),
};
// The profiled rounds' files: kept where --cpu-profile says, else in a directory removed at the end.
const profileDir = values['cpu-profile'] ?? mkdtempSync(join(tmpdir(), 'bench-profile-'));
mkdirSync(profileDir, { recursive: true });
const measuredMs = settings.rounds * settings.windows * settings.windowEachMs;
if (measuredMs < MIN_MEASURED_MS) console.error(`bench: only ${measuredMs} ms measured per target (the issue asks for ≥ ${MIN_MEASURED_MS})`);

const runStarted = performance.now();
const progress = progressReporter('bench', runStarted);

const machine = recordMachine();
let child: LoadChild | undefined;
const runLimitMs = RUN_LIMIT_MS * callCounts.length;
armWatchdog('bench', runLimitMs, () => void child?.kill());

const callStarts = new Map<ResamplerBackend, CallStartResult>();
const sweep: SweepMeasurements[] = [];
const stages = {} as Record<ProfiledTarget, StageBreakdown>;
try {
  progress('starting the load driver');
  child = await spawnLoadChild(runLimitMs);
  progress(`call start: ${settings.startCalls} calls at once, fir`);
  callStarts.set('fir', await measureCallStart(child, 'fir', settings.startCalls, CALL_START_TIMEOUT_MS));
  const holdBack = await upHoldBackSamples(settings.loadBackend);
  const load = (target: LoadTarget, calls: number, cpuProfilePath?: string): Promise<LoadRoundResult> =>
    runLoadRound(child!, {
      target,
      backend: settings.loadBackend,
      calls,
      warmupMs: settings.warmupMs,
      windowMs: settings.windowEachMs,
      windows: settings.windows,
      upHoldBackSamples: holdBack,
      ...(cpuProfilePath !== undefined && { cpuProfilePath }),
    });
  for (const calls of callCounts) {
    const rounds: Record<LoadTarget, LoadRoundResult[]> = { bridge: [], floor: [], relay: [] };
    for (let round = 1; round <= settings.rounds; round++) {
      for (const target of LOAD_TARGETS) {
        progress(`load round ${round}/${settings.rounds}: ${calls} calls through the ${target}`);
        rounds[target].push(await load(target, calls));
      }
    }
    sweep.push({ calls, rounds });
  }
  // Profiling costs a little CPU, so the stage breakdown comes from rounds of its own, after
  // the ones whose CPU is compared.
  for (const target of PROFILED_TARGETS) {
    progress(`profiled round: ${settings.calls} calls through the ${target}`);
    const path = join(profileDir, `${target}-${settings.calls}-calls.cpuprofile`);
    await load(target, settings.calls, path);
    stages[target] = stageBreakdown(readProfile(path), settings.calls);
  }
  progress(`call start: ${settings.startCalls} calls at once, libsamplerate`);
  callStarts.set('libsamplerate', await measureCallStart(child, 'libsamplerate', settings.startCalls, CALL_START_TIMEOUT_MS));
} finally {
  await child?.kill();
}

const backends = {} as Record<ResamplerBackend, BackendMeasurements>;
for (const backend of BACKENDS) {
  progress(`media cost and resampler quality: ${backend}`);
  const factory = createResamplerFactory(backend);
  backends[backend] = {
    mediaCost: await measureMediaCost(backend),
    createCost: await measureCreateCost(backend),
    up: await measureQuality(factory, { fromHz: 8000, toHz: 16_000 }),
    down: await measureQuality(factory, { fromHz: 24_000, toHz: 8000 }),
    callStart: callStarts.get(backend)!,
  };
}

const report = assembleReport({
  ...machine(),
  settings,
  backends,
  sweep,
  stages,
  durationMs: performance.now() - runStarted,
});
if (values['cpu-profile'] === undefined) rmSync(profileDir, { recursive: true, force: true });
console.log(values.json ? formatJsonLine(report) : formatTable(report));
// Everything was closed above; exiting explicitly means a handle someone forgot cannot hang the run.
process.exit(0);
