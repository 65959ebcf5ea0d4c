/**
 * The demo call, end to end over real sockets on 127.0.0.1: the bridge (HTTP + fork endpoint +
 * call core + Qwen client) against the Qwen simulator, called by a simulated Twilio caller who
 * asks a question, interrupts the answer, asks another and says goodbye; the agent ends the call
 * with its end_call tool. Used by `npm run demo` and by the end-to-end test, so the demo cannot
 * quietly stop working.
 */
import { randomBytes } from 'node:crypto';
import { buildApp } from '../app.js';
import type { Call } from '../call/call.js';
import type { CallRecord } from '../call/call-record.js';
import { loadConfig } from '../config/load.js';
import { createLogger } from '../log.js';
import {
  bargeInAfterAgentSpeaksMs,
  say,
  SimulatedCaller,
  waitForAgentAudio,
  waitForAgentSilence,
  type CallerReport,
} from './caller/index.js';
import { startQwenSimulator } from './qwen/server.js';
import type { ConversationScript } from './qwen/script.js';

/** The simulator's side of the demo: the support-line script, ending with the end_call tool. */
export const DEMO_SCRIPT: Partial<ConversationScript> = {
  turns: [
    {
      callerTranscript: "Hi, I'd like to check the status of my order.",
      reply: {
        text:
          'Let me check. Your order shipped yesterday and is now with the courier. ' +
          'It should arrive on Thursday morning.',
        audio: 'agent-order-status',
      },
    },
    {
      callerTranscript: 'Sorry, actually, what are your opening hours?',
      reply: { text: "We're open weekdays, nine to six.", audio: 'agent-opening-hours' },
    },
    {
      callerTranscript: "Thanks, that's all. Goodbye.",
      reply: {
        toolCall: { name: 'end_call', arguments: { reason: 'caller is done' } },
        afterTool: { text: 'Thanks for calling, goodbye!', audio: 'agent-goodbye' },
      },
    },
  ],
};

export interface DemoResult {
  record: CallRecord;
  caller: CallerReport;
  heardPcm: Int16Array;
  summary: DemoSummary;
}

export interface DemoSummary {
  endReason: string;
  /** Transcript turns (caller and agent). */
  turns: number;
  bargeIns: number;
  /** Agent audio the caller actually heard (cleared audio excluded). */
  callerHeardMs: number;
  /** Model's speech_started at the bridge → the caller's playout stopped (the clear arrived). */
  bargeInCutMs: number | null;
  /** The caller started talking over the agent → its playout stopped (includes the model's VAD delay). */
  bargeInFromCallerSpeechMs: number | null;
  /** Call start → first agent audio sent. */
  firstAudioMs: number | null;
  turnLatenciesMs: number[];
  durationMs: number;
}

export interface DemoOptions {
  logLevel?: string;
}

export async function runDemoCall(opts: DemoOptions = {}): Promise<DemoResult> {
  const apiKey = randomBytes(16).toString('hex');
  const sim = await startQwenSimulator({ apiKey, script: DEMO_SCRIPT });
  const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: opts.logLevel ?? 'warn', QWEN_URL: sim.url });
  config.secrets = { dashscopeApiKey: apiKey, mediaToken: randomBytes(16).toString('hex') };
  // The demo writes its own record to out/; nothing of it belongs in the records database.
  config.records.dbPath = ':memory:';
  const logger = createLogger(config.log.level);
  const app = buildApp(config, logger);
  // The call's clock starts when it is admitted; 'started' fires in the same tick.
  let callOrigin = 0;
  app.calls.on('started', (started: Call) => (callOrigin = performance.now() - started.elapsedMs()));
  const ended = new Promise<CallRecord>((resolve) => app.onCallEnded(resolve));
  try {
    const { port } = await app.start();
    const caller = await SimulatedCaller.connect({
      url: `ws://127.0.0.1:${port}/media/twilio?token=${config.secrets.mediaToken}`,
      to: '+15550100',
      maxCallMs: 60_000,
    });
    // Both clocks are performance.now(); these offsets put bridge and caller times on one axis.
    const callerOrigin = performance.now() - caller.nowMs();
    const report = await caller.run([
      waitForAgentAudio(),
      waitForAgentSilence(700),
      say('order-status'),
      bargeInAfterAgentSpeaksMs(1500, 'opening-hours'),
      waitForAgentAudio(),
      waitForAgentSilence(700),
      say('goodbye'),
      waitForAgentAudio(),
      // The agent hangs up after its goodbye has played; the caller just listens until then.
      waitForAgentSilence(5_000, 20_000),
    ]);
    const record = await ended;
    return { record, caller: report, heardPcm: caller.heardPcm(), summary: summarize(record, report, callOrigin, callerOrigin) };
  } finally {
    await app.close();
    await sim.close();
  }
}

function summarize(record: CallRecord, caller: CallerReport, callOrigin: number, callerOrigin: number): DemoSummary {
  const firstBargeIn = record.bargeIns[0];
  let bargeInCutMs: number | null = null;
  let bargeInFromCallerSpeechMs: number | null = null;
  if (firstBargeIn) {
    const speechStartedAbs = callOrigin + firstBargeIn.atMs;
    const clearAbs = caller.clearsReceivedMs.map((ms) => callerOrigin + ms).find((abs) => abs >= speechStartedAbs - 1);
    if (clearAbs !== undefined) {
      bargeInCutMs = round1(Math.max(0, clearAbs - speechStartedAbs));
      const callerBargeIn = caller.bargeIns[0];
      if (callerBargeIn) bargeInFromCallerSpeechMs = round1(clearAbs - (callerOrigin + callerBargeIn.atMs));
    }
  }
  return {
    endReason: record.endReason,
    turns: record.turns.length,
    bargeIns: record.bargeIns.length,
    callerHeardMs: Math.round(caller.agentAudio.heardMs),
    bargeInCutMs,
    bargeInFromCallerSpeechMs,
    firstAudioMs: record.stats.firstAudioMs ?? null,
    turnLatenciesMs: record.stats.turnLatenciesMs,
    durationMs: record.durationMs,
  };
}

const round1 = (value: number): number => Math.round(value * 10) / 10;
