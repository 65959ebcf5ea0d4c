/**
 * Where a caller's keypad digit goes, in this order:
 *   1. a collect_digits collection under way takes it (the keypad map is off meanwhile);
 *   2. a type-ahead run under way takes it (the caller is typing a number, so "0" inside an
 *      account number is not the keypad's "0 → operator");
 *   3. the agent's keypad map, handled without the model;
 *   4. when the agent has collect_digits, a digit starts a type-ahead run and the model is nudged
 *      to call collect_digits (per-response instructions; see NUDGE).
 * Anything else is ignored.
 */
import type { DigitAction, DigitSink } from '../call/tool-runner.js';
import type { DigitCollector } from './digit-collector.js';

/**
 * Sent with response.create when the caller starts typing before collect_digits was called.
 * The Qwen team's client relies on per-response instructions, and the adapter sends them with the
 * agent's own instructions in front (they most likely replace the session's). Were they ignored,
 * the model still gets a turn and, having just asked for digits, will usually call collect_digits.
 */
export const NUDGE =
  'The caller has started typing digits on the keypad. Call collect_digits now to receive them; do not say anything first.';

export function digitRouter(opts: {
  collector: DigitCollector;
  keypad: ReadonlyMap<string, DigitAction>;
  collectEnabled: boolean;
}): DigitSink {
  const { collector, keypad, collectEnabled } = opts;
  return {
    onDigit(digit) {
      if (collector.push(digit)) return undefined;
      if (collector.typingAhead) {
        collector.typeAhead(digit);
        return undefined;
      }
      const mapped = keypad.get(digit);
      if (mapped) return mapped;
      if (collectEnabled && /^[0-9]$/.test(digit)) {
        collector.typeAhead(digit);
        return { say: NUDGE, then: { action: 'none' } };
      }
      return undefined;
    },
  };
}
