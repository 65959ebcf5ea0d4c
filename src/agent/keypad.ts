/**
 * An agent's keypad map: digit → what the call does, decided without the model (press 0 for a
 * person works even when the model misunderstands everything). Compiled once at load.
 */
import type { DigitAction } from '../call/tool-runner.js';
import type { AgentFile } from './agent-file.js';
import type { TransferTarget } from './builtin-tools.js';

export function compileKeypad(
  keypad: AgentFile['keypad'],
  targets: ReadonlyMap<string, TransferTarget>,
  transferTimeoutMs: number,
): Map<string, DigitAction> {
  const out = new Map<string, DigitAction>();
  for (const [digit, entry] of Object.entries(keypad)) {
    switch (entry.action) {
      case 'transfer': {
        // The schema already checked the target exists.
        const target = targets.get(entry.target);
        if (!target) continue;
        const then = { action: 'transfer', target: entry.target, destination: target.to, timeoutMs: transferTimeoutMs } as const;
        out.set(digit, entry.say !== undefined ? { say: entry.say, then } : { then });
        break;
      }
      case 'end_call': {
        const then = { action: 'hangup', reason: 'agent_hangup', detail: `keypad ${digit}` } as const;
        out.set(digit, entry.say !== undefined ? { say: entry.say, then } : { then });
        break;
      }
      case 'say':
        out.set(digit, { say: entry.instructions, then: { action: 'none' } });
        break;
    }
  }
  return out;
}
