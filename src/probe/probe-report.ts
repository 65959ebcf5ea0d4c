/**
 * What the probe found: one check per thing a first live call depends on, the latencies a caller
 * would feel, what the frames looked like, and a verdict. `differs` is for behaviour that works
 * but not the way our reference expects (the open questions of the field findings); `fail` is for
 * what would break a call.
 */

export const CHECK_NAMES = [
  'connect',
  'session_echo',
  'frames',
  'greeting',
  'caller_vad',
  'caller_transcript',
  'tool_call',
  'tool_continuation',
  'barge_in',
  'keep_alive',
  'errors',
] as const;

export type CheckName = (typeof CHECK_NAMES)[number];
export type CheckStatus = 'pass' | 'differs' | 'fail' | 'skipped';

export interface ProbeCheck {
  status: CheckStatus;
  detail: string;
}

export type Verdict = 'ready' | 'ready_with_differences' | 'not_ready';

export interface ProbeReport {
  target: { model: string; voice: string; host: string; simulated: boolean };
  verdict: Verdict;
  checks: Record<CheckName, ProbeCheck>;
  latenciesMs: {
    connect?: number;
    /** greet() → first audio delta. */
    firstAudio?: number;
    /** speech_stopped → first audio of the answer. */
    turn?: number;
  };
  frames: { received: number; byType: Record<string, number>; malformed: string[]; unknown: string[] };
  observations: {
    /** `code: number` etc.: how the service typed the fields of the errors it sent. */
    errorFields: string[];
    /** Status (and details) of the response the barge-in cut. */
    bargeInStatus?: string;
    /** status_details of every response that did not complete. */
    statusDetails: string[];
    keepAlivesSent: number;
    toolArguments?: string;
  };
}

export function verdictOf(checks: Record<CheckName, ProbeCheck>): Verdict {
  const statuses = Object.values(checks).map((c) => c.status);
  if (statuses.includes('fail')) return 'not_ready';
  if (statuses.includes('differs')) return 'ready_with_differences';
  return 'ready';
}

const MARK: Record<CheckStatus, string> = { pass: 'ok     ', differs: 'DIFFERS', fail: 'FAIL   ', skipped: 'skipped' };

const VERDICT_TEXT: Record<Verdict, string> = {
  ready: 'READY: the service behaved the way the bridge expects.',
  ready_with_differences: 'READY WITH DIFFERENCES: calls should work; read the DIFFERS lines (and tell us).',
  not_ready: 'NOT READY: a real call would fail; fix the FAIL lines first.',
};

export function formatReport(report: ProbeReport): string {
  const lines: string[] = [];
  const { target } = report;
  lines.push(`Probe of ${target.model} (voice ${target.voice}) at ${target.host}${target.simulated ? ' — SIMULATOR, not the real service' : ''}`);
  lines.push('');
  for (const name of CHECK_NAMES) {
    const check = report.checks[name];
    lines.push(`  ${MARK[check.status]}  ${name.padEnd(18)} ${check.detail}`);
  }
  lines.push('');
  const l = report.latenciesMs;
  const ms = (v: number | undefined): string => (v === undefined ? '-' : `${Math.round(v)} ms`);
  lines.push(`  latency: connect ${ms(l.connect)}, first audio ${ms(l.firstAudio)}, turn ${ms(l.turn)}`);
  lines.push(`  frames:  ${report.frames.received} received; ${Object.entries(report.frames.byType).map(([t, n]) => `${t} ×${n}`).join(', ')}`);
  if (report.observations.errorFields.length > 0) lines.push(`  errors:  ${report.observations.errorFields.join('; ')}`);
  if (report.observations.bargeInStatus !== undefined) lines.push(`  barge-in ended the response as: ${report.observations.bargeInStatus}`);
  lines.push('');
  lines.push(VERDICT_TEXT[report.verdict]);
  return lines.join('\n');
}
