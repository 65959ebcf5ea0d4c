/** The simulated caller: what the demo, the flow tests and the load test import. */
export { SimulatedCaller } from './simulated-caller.js';
export type { SimulatedCallerOptions } from './simulated-caller.js';
export type { CallerEndedBy, CallerReport, StepRecord } from './caller-report.js';
export {
  bargeInAfterAgentSpeaksMs,
  dtmf,
  hangup,
  say,
  silence,
  waitForAgentAudio,
  waitForAgentSilence,
} from './caller-script.js';
export type { CallerStep, Utterance } from './caller-script.js';
export { CALLER_FIXTURES, loadCallerFixture, type CallerFixture } from './fixtures.js';
