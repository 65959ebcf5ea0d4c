/**
 * Tools every agent may enable by name. Their declarations go to the model in session.update;
 * the runner turns a call into a result for the model and, for call control, an action the call
 * performs once the model has spoken its closing line.
 */
import type { ToolDeclaration } from './profile.js';
import type { ToolOutcome, ToolRunner } from '../call/tool-runner.js';

export const TOOL_DECLARATIONS: Record<'end_call', ToolDeclaration> = {
  end_call: {
    name: 'end_call',
    description:
      'Hang up the phone call. Call this only after you have said goodbye, when the caller has nothing more to ask.',
    parameters: {
      type: 'object',
      properties: { reason: { type: 'string', description: 'Why the call is ending, in a few words.' } },
      required: [],
    },
  },
};

export function builtinToolRunner(enabled: readonly string[]): ToolRunner {
  return (name, args): Promise<ToolOutcome> => {
    if (!enabled.includes(name)) {
      return Promise.resolve({ output: JSON.stringify({ error: `unknown tool ${name}` }), then: { action: 'none' } });
    }
    switch (name) {
      case 'end_call': {
        const reason = typeof args === 'object' && args !== null && 'reason' in args ? String(args.reason) : undefined;
        return Promise.resolve({
          output: JSON.stringify({ ok: true, note: 'If you have not said goodbye yet, say it now in one sentence.' }),
          then: { action: 'hangup', reason: 'agent_hangup', ...(reason ? { detail: reason } : {}) },
        });
      }
      default:
        return Promise.resolve({ output: JSON.stringify({ error: `unknown tool ${name}` }), then: { action: 'none' } });
    }
  };
}
