/** Builds one Call wired to fakes, for tests that read like a call. */
import pino, { type Logger } from 'pino';
import type { AgentProfile } from '../../src/call/agent-profile.js';
import { Call, type CallAudioTap, type CallDeps, type CallSettings, type UnavailableAudio } from '../../src/call/call.js';
import type { CallRecord } from '../../src/call/call-record.js';
import type { CallIdentity } from '../../src/call/media-leg.js';
import type { CallTools, DigitSink, ToolRunner, TransferWithoutLeg } from '../../src/call/tool-runner.js';
import { FakeAiConnector } from './fake-ai.js';
import { FakeLeg } from './fake-leg.js';
import { simpleResamplerFactory } from './simple-resampler.js';

export const TEST_SETTINGS: CallSettings = {
  playoutLeadMs: 60,
  callerSilenceMs: 30_000,
  mediaTimeoutMs: 10_000,
  wrapUpLeadMs: 20_000,
  drainTimeoutMs: 10_000,
  sessionCapMs: 7_200_000,
  sessionCapMarginMs: 120_000,
  rolloverLeadMs: 600_000,
  reconnectAttempts: 3,
  reconnectDeadlineMs: 15_000,
  modelAudio: { inputRateHz: 16_000, outputRateHz: 24_000 },
};

export const TEST_IDENTITY: CallIdentity = { externalId: 'CA1', to: '+15550100', from: '+15550199', transport: 'twilio', attributes: {} };

export function testProfile(overrides: Partial<AgentProfile> = {}): AgentProfile {
  return {
    id: 'support',
    model: 'qwen3.5-omni-flash-realtime',
    voice: 'Tina',
    instructions: 'Be brief.',
    greeting: { mode: 'model', instructions: 'Greet the caller.' },
    turnDetection: { type: 'server_vad', threshold: 0.5, prefixPaddingMs: 300, silenceDurationMs: 800 },
    transcribeCaller: true,
    tools: [],
    maxCallDurationMs: 30 * 60_000,
    goodbyeInstructions: 'Say goodbye.',
    ...overrides,
  };
}

export interface Harness {
  call: Call;
  leg: FakeLeg;
  ai: FakeAiConnector;
  records: CallRecord[];
}

export function buildCall(
  opts: {
    profile?: AgentProfile;
    settings?: Partial<CallSettings>;
    /** The whole tool set (an agent's openTools); or parts of it below. */
    tools?: CallTools;
    runTool?: ToolRunner;
    digits?: DigitSink;
    transferWithoutLeg?: TransferWithoutLeg;
    leg?: FakeLeg;
    greetingAudio?: { pcm: Int16Array; sampleRateHz: number };
    lines?: CallDeps['lines'];
    unavailableAudio?: UnavailableAudio;
    ai?: FakeAiConnector;
    audioTap?: CallAudioTap;
    /** Default: silent. */
    logger?: Logger;
  } = {},
): Harness {
  const leg = opts.leg ?? new FakeLeg();
  const ai = opts.ai ?? new FakeAiConnector();
  const records: CallRecord[] = [];
  const call = new Call({
    callId: 'call-1',
    identity: TEST_IDENTITY,
    profile: opts.profile ?? testProfile(),
    leg,
    connectAi: ai.connect,
    createResampler: simpleResamplerFactory,
    tools: opts.tools ?? {
      run: opts.runTool ?? (() => Promise.resolve({ output: '{}', then: { action: 'none' } })),
      ...(opts.digits ? { digits: opts.digits } : {}),
      ...(opts.transferWithoutLeg ? { transferWithoutLeg: opts.transferWithoutLeg } : {}),
    },
    settings: { ...TEST_SETTINGS, ...opts.settings },
    logger: opts.logger ?? pino({ level: 'silent' }),
    ...(opts.greetingAudio ? { greetingAudio: opts.greetingAudio } : {}),
    ...(opts.lines ? { lines: opts.lines } : {}),
    ...(opts.unavailableAudio ? { unavailableAudio: opts.unavailableAudio } : {}),
    ...(opts.audioTap ? { audioTap: opts.audioTap } : {}),
    now: () => Date.now(),
    onEnded: (record) => records.push(record),
  });
  return { call, leg, ai, records };
}

/** 20 ms of 8 kHz caller audio. */
export const callerFrame = (): Int16Array => new Int16Array(160).fill(1000);
