/** Call records for records tests: complete, with every optional part present. */
import type { CallRecord } from '../../src/call/call-record.js';

let next = 0;

export function sampleRecord(overrides: Partial<CallRecord> & { from?: string; to?: string } = {}): CallRecord {
  next += 1;
  const { from, to, ...rest } = overrides;
  const startedAt = rest.startedAt ?? 1_750_000_000_000 + next * 1000;
  return {
    callId: `call-${String(next).padStart(4, '0')}`,
    identity: { externalId: `CA${next}`, to: to ?? '+15550100', from: from ?? '+15557770000', transport: 'twilio', attributes: { campaign: 'spring' } },
    agentId: 'support',
    startedAt,
    answeredAt: startedAt + 250,
    endedAt: startedAt + 30_000,
    durationMs: 30_000,
    endReason: 'caller_hangup',
    turns: [
      { role: 'agent', responseId: 'resp_1', text: 'Acme support, how can I help?', atMs: 200, interrupted: { heardMs: 900, heardText: 'Acme support,' } },
      { role: 'caller', itemId: 'item_1', text: 'Where is my order?', atMs: 3000 },
    ],
    bargeIns: [{ atMs: 1100, responseId: 'resp_1', heardMs: 900, droppedFrames: 3 }],
    toolCalls: [{ name: 'lookup_order', arguments: '{"id":"42"}', output: '{"status":"shipped"}', durationMs: 12, atMs: 5000 }],
    usage: { inputTokens: 120, outputTokens: 80, inputAudioTokens: 100, outputAudioTokens: 60 },
    stats: { firstAudioMs: 250, turnLatenciesMs: [310], uplinkFrames: 1500, downlinkFramesSent: 900, uplinkFramesDropped: 2, lateAudioDropped: 0, uplinkOverBudgetMs: 0, aiErrors: 0 },
    ...rest,
  };
}
