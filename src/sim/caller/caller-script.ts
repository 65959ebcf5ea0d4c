/**
 * The steps a simulated caller can take, as data: a demo, a test and a load-test profile are
 * each just a list of these. Every wait has a timeout, so a script always ends.
 */
import type { CallerFixture } from './fixtures.js';

/** A fixture name, or PCM16 at the wire rate (8 kHz) for tests that need a known signal. */
export type Utterance = CallerFixture | Int16Array;

export type CallerStep =
  | { kind: 'say'; utterance: Utterance }
  | { kind: 'silence'; ms: number }
  /** Until the caller hears agent audio (audio heard after the step began). */
  | { kind: 'waitForAgentAudio'; timeoutMs?: number }
  /** Until nothing is queued to play and the agent has been quiet for `ms`. */
  | { kind: 'waitForAgentSilence'; ms: number; timeoutMs?: number }
  /** Wait for the agent to be heard, let it talk for `ms`, then talk over it. */
  | { kind: 'bargeIn'; afterAgentSpeaksMs: number; utterance: Utterance; timeoutMs?: number }
  | { kind: 'dtmf'; digit: string }
  | { kind: 'hangup' };

export const say = (utterance: Utterance): CallerStep => ({ kind: 'say', utterance });
export const silence = (ms: number): CallerStep => ({ kind: 'silence', ms });
export const waitForAgentAudio = (timeoutMs?: number): CallerStep => ({
  kind: 'waitForAgentAudio',
  ...(timeoutMs !== undefined && { timeoutMs }),
});
export const waitForAgentSilence = (ms: number, timeoutMs?: number): CallerStep => ({
  kind: 'waitForAgentSilence',
  ms,
  ...(timeoutMs !== undefined && { timeoutMs }),
});
export const bargeInAfterAgentSpeaksMs = (ms: number, utterance: Utterance, timeoutMs?: number): CallerStep => ({
  kind: 'bargeIn',
  afterAgentSpeaksMs: ms,
  utterance,
  ...(timeoutMs !== undefined && { timeoutMs }),
});
export const dtmf = (digit: string): CallerStep => ({ kind: 'dtmf', digit });
export const hangup = (): CallerStep => ({ kind: 'hangup' });

export function describeStep(step: CallerStep): string {
  const utterance = (u: Utterance) => (typeof u === 'string' ? u : `${u.length} samples`);
  switch (step.kind) {
    case 'say':
      return `say(${utterance(step.utterance)})`;
    case 'silence':
      return `silence(${step.ms})`;
    case 'waitForAgentAudio':
      return 'waitForAgentAudio()';
    case 'waitForAgentSilence':
      return `waitForAgentSilence(${step.ms})`;
    case 'bargeIn':
      return `bargeInAfterAgentSpeaksMs(${step.afterAgentSpeaksMs}, ${utterance(step.utterance)})`;
    case 'dtmf':
      return `dtmf(${step.digit})`;
    case 'hangup':
      return 'hangup()';
  }
}
