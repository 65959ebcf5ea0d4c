/**
 * Where a target's CPU went under the bench load, by media-path stage: a V8 .cpuprofile (from
 * cpu-profile.ts) summed by the innermost stack frame that belongs to a known stage. Native work
 * (JSON.parse, base64, a socket write) has no source file of its own, so it is charged to the
 * project function that called it: JSON.parse inside parseServerFrame is model event parsing.
 *
 * The result is µs of CPU per call per 20 ms of audio, the unit the rest of the bench uses. It is
 * a sampling estimate (one sample per 200 µs of CPU), good to a few percent of the total.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export const STAGES = [
  'fork_decode',
  'g711',
  'resample',
  'append_encode',
  'model_event_parse',
  'delta_decode',
  'framing',
  'pacing',
  'far_end_encode',
  'rtp',
  'sip_signalling',
  'call_core',
  'metrics',
  'logging',
  'websocket',
  'node_io_and_timers',
  'gc',
  'harness',
  'other',
] as const;
export type Stage = (typeof STAGES)[number];

/** File (path suffix) → stage; a function-name rule refines a file where it matters. */
const FILE_RULES: ReadonlyArray<[RegExp, Stage | ((functionName: string) => Stage)]> = [
  [/\/src\/media\/protocols\/twilio\.ts$/, (fn) => (fn.startsWith('encode') ? 'far_end_encode' : 'fork_decode')],
  [/\/src\/media\/protocols\/(json-value|violation)\.ts$/, 'fork_decode'],
  [/\/src\/media\/(twilio-stream|fork-leg)\.ts$/, (fn) => (fn === 'audio' || fn === 'sendAudio' ? 'far_end_encode' : 'fork_decode')],
  [/\/src\/media\/(stream-session|fork-server|audio-fork-stream)\.ts$/, 'fork_decode'],
  [/\/src\/audio\/g711\.ts$/, 'g711'],
  [/\/src\/audio\/(fir-resampler|lsr-resampler)\.ts$/, 'resample'],
  [/\/src\/audio\/pcm\.ts$/, (fn) => (fn.includes('From') ? 'delta_decode' : 'append_encode')],
  [/\/src\/ai\/(append-batcher|qwen-client-events)\.ts$/, 'append_encode'],
  [/\/src\/ai\/qwen-realtime-session\.ts$/, (fn) => (/send|append|flush/i.test(fn) ? 'append_encode' : 'model_event_parse')],
  [/\/src\/ai\/server-event-mapping\.ts$/, 'delta_decode'],
  [/\/src\/ai\/(qwen-events|response-tracker|tool-call-batches)\.ts$/, 'model_event_parse'],
  [/\/src\/audio\/framer\.ts$/, 'framing'],
  [/\/src\/call\/(playout|agent-voice)\.ts$/, 'pacing'],
  [/\/src\/sip\/rtp\//, 'rtp'],
  [/\/src\/sip\/|\/drachtio-srf\/|\/drachtio-sip\//, 'sip_signalling'],
  [/\/src\/call\//, 'call_core'],
  [/\/src\/metrics\.ts$|\/prom-client\//, 'metrics'],
  [/\/src\/log\.ts$|\/pino[^/]*\/|\/sonic-boom\//, 'logging'],
  [/\/node_modules\/ws\//, 'websocket'],
  // The bench's own code and, in bench:sip, the simulators that share the process.
  [/\/src\/bench\/(load-round|cpu-profile|child-rpc|load-child|bench|sip-[a-z-]+|rtp-peers-child)\.ts$|\/src\/sim\//, 'harness'],
  [/\/src\/bench\/floor-bridge\.ts$/, (fn) => (fn.includes('model') ? 'model_event_parse' : 'fork_decode')],
];

function stageOfFrame(functionName: string, url: string): Stage | undefined {
  if (functionName === '(garbage collector)') return 'gc';
  if (url === '') return undefined;
  for (const [pattern, stage] of FILE_RULES) {
    if (pattern.test(url)) return typeof stage === 'function' ? stage(functionName) : stage;
  }
  if (url.startsWith('node:')) return 'node_io_and_timers';
  return undefined;
}

/** The time sample i stands for: until the next sample (timeDeltas[i + 1]); the last one repeats its own. */
function sampleUs(profile: CpuProfile, i: number): number {
  return profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0;
}

export interface StageBreakdown {
  /** CPU the profile saw, µs per call per 20 ms, all stages together. */
  totalUsPerCallPer20ms: number;
  stagesUsPerCallPer20ms: Record<Stage, number>;
  /** Sampled CPU as a share of the profiled wall time, % of one core. */
  cpuPercent: number;
}

export function stageBreakdown(profile: CpuProfile, calls: number): StageBreakdown {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const stageOfNode = new Map<number, Stage | 'idle'>();
  const resolve = (id: number): Stage | 'idle' => {
    const known = stageOfNode.get(id);
    if (known !== undefined) return known;
    const node = byId.get(id)!;
    const name = node.callFrame.functionName;
    let stage: Stage | 'idle' | undefined =
      name === '(idle)' || name === '(program)' || name === '(root)' ? 'idle' : stageOfFrame(name, node.callFrame.url);
    if (stage === undefined) {
      const up = parent.get(id);
      stage = up === undefined ? 'other' : resolve(up);
      if (stage === 'idle') stage = 'other';
    }
    stageOfNode.set(id, stage);
    return stage;
  };
  const totals = Object.fromEntries(STAGES.map((stage) => [stage, 0])) as Record<Stage, number>;
  for (let i = 0; i < profile.samples.length; i++) {
    const stage = resolve(profile.samples[i]!);
    if (stage !== 'idle') totals[stage] += sampleUs(profile, i);
  }
  const wallUs = profile.endTime - profile.startTime;
  const slots = (calls * wallUs) / 20_000;
  const per = (us: number): number => Math.round((us / slots) * 10) / 10;
  const cpuUs = Object.values(totals).reduce((sum, us) => sum + us, 0);
  return {
    totalUsPerCallPer20ms: per(cpuUs),
    stagesUsPerCallPer20ms: Object.fromEntries(STAGES.map((stage) => [stage, per(totals[stage])])) as Record<Stage, number>,
    cpuPercent: Math.round((cpuUs / wallUs) * 1000) / 10,
  };
}

export function readProfile(path: string): CpuProfile {
  return JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
}

/** The heaviest project functions by self time: what to look at first. */
export function topFunctions(profile: CpuProfile, count: number): Array<{ fn: string; selfPercent: number }> {
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + sampleUs(profile, i));
  }
  const byName = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const us = self.get(node.id) ?? 0;
    const name = node.callFrame.functionName;
    if (name === '(idle)' || name === '(program)') continue;
    total += us;
    const file = node.callFrame.url.replace(/^.*\/(src|node_modules)\//, '$1/');
    const key = `${name || '(anonymous)'} ${file}`;
    byName.set(key, (byName.get(key) ?? 0) + us);
  }
  return [...byName.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([fn, us]) => ({ fn, selfPercent: Math.round((us / total) * 1000) / 10 }));
}
