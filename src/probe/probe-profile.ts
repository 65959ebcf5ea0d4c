/**
 * The agent the probe talks as: short answers, one tool the recorded question should trigger,
 * the family's default voice unless one is named, server VAD as production agents use it.
 */
import type { AgentProfile, ToolDeclaration } from '../call/agent-profile.js';
import { capabilitiesOf } from '../models/qwen-capabilities.js';

export const LOOKUP_ORDER: ToolDeclaration = {
  name: 'lookup_order',
  description: 'Look up the status of the caller\'s order. Call it as soon as the caller asks about an order; the order number is optional.',
  parameters: {
    type: 'object',
    properties: { order_number: { type: 'string', description: 'The order number, if the caller gave one.' } },
  },
};

export function probeProfile(model: string, voice?: string): AgentProfile {
  const caps = capabilitiesOf(model);
  return {
    id: 'probe',
    model,
    voice: voice ?? caps.defaultVoice,
    instructions:
      'You are a phone support agent for Acme, being tested. Answer in one or two short sentences, in English. ' +
      'When the caller asks about an order, call lookup_order right away, then tell them what it returned in detail.',
    greeting: { mode: 'model', instructions: 'Greet the caller in one short sentence.' },
    turnDetection: { type: 'server_vad', threshold: 0.5, prefixPaddingMs: 300, silenceDurationMs: 800 },
    transcribeCaller: true,
    tools: caps.tools === 'supported' ? [LOOKUP_ORDER] : [],
    maxCallDurationMs: 10 * 60_000,
    goodbyeInstructions: 'Say goodbye.',
  };
}
