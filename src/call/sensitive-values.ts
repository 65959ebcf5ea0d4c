/**
 * What a call must not write down: digits the caller typed for collect_digits, and tool arguments
 * the agent marks `sensitive: true` (a PIN, an account number, a date of birth). Call records
 * outlive calls, travel in end-of-call webhooks and logs are shipped to third parties, so these
 * values are masked in everything the call records or logs; the tool itself (the model, the
 * webhook) still receives the real value.
 *
 * Two rules, both applied by the call to every record and to the log lines that could carry them:
 * - by declaration: an argument at a sensitive path is masked whatever its value;
 * - by value: once a value is known to be sensitive (a collected digit entry, a sensitive
 *   argument's value), it is masked wherever it turns up later — the model passing the
 *   account number it was given into another tool (`lookup_order {"order_number": "73915582"}`),
 *   a webhook echoing it in its answer, the agent reading it back in the transcript. Digit
 *   values are compared on digits alone, so "7391-5582" and "7391 5582" match "73915582".
 *   Values shorter than MIN_MATCH_CHARS are masked by declaration only: a one-key menu choice
 *   would otherwise mask every "1" in the record.
 *
 * A masked value keeps its length and punctuation: "73915582" → "xxxxxxxx", "7391-5582" →
 * "xxxx-xxxx", so a record still shows how many digits were entered.
 */
import type { CallRecord } from './call-record.js';

/** A path to an argument inside a tool's arguments object: property names, outermost first. */
export type ArgumentPath = readonly string[];

export const MIN_MATCH_CHARS = 3;

const MASK = 'x';
/** Digits with the separators people and models write between them. */
const DIGIT_RUN = /\d(?:[\d\s\-./()]*\d)?/g;
/** Sensitive values remembered per call; a caller cannot grow it without bound. */
const MAX_VALUES = 64;

export class SensitiveValues {
  readonly #paths: ReadonlyMap<string, readonly ArgumentPath[]>;
  /** Known sensitive values as matched: digits only for digit values, else lower-cased text. */
  readonly #values = new Set<string>();

  /** `paths`: per tool name, the arguments its declaration marks sensitive. */
  constructor(paths: ReadonlyMap<string, readonly ArgumentPath[]> = new Map()) {
    this.#paths = paths;
  }

  /** Remember a value that must not appear in records or logs from now on. */
  add(value: unknown): void {
    if (typeof value !== 'string' && typeof value !== 'number') return;
    const key = matchKey(String(value));
    if (key.length < MIN_MATCH_CHARS || this.#values.size >= MAX_VALUES) return;
    this.#values.add(key);
  }

  /** Remember the values of a tool call's sensitive arguments (before the tool runs). */
  addArguments(tool: string, args: unknown): void {
    for (const path of this.#paths.get(tool) ?? []) this.add(valueAt(args, path));
  }

  /**
   * Text with every known sensitive value masked where it occurs: a run of digits (spaces,
   * dashes, dots, slashes and brackets between them allowed) that holds a sensitive digit value,
   * and any occurrence of a sensitive text value. The rest of the text stays readable.
   */
  maskText(text: string): string {
    if (this.#values.size === 0) return text;
    let masked = text.replace(DIGIT_RUN, (run) => (this.#holdsDigitValue(run.replace(/\D/g, '')) ? maskChars(run) : run));
    for (const value of this.#values) {
      if (/^\d+$/.test(value)) continue;
      const lower = masked.toLowerCase();
      let at = lower.indexOf(value);
      while (at >= 0) {
        masked = masked.slice(0, at) + maskChars(masked.slice(at, at + value.length)) + masked.slice(at + value.length);
        at = lower.indexOf(value, at + value.length);
      }
    }
    return masked;
  }

  /** A copy of a tool call's arguments (JSON text) fit for a record or a log line. */
  maskArguments(tool: string, rawArgs: string): string {
    const trimmed = rawArgs.trim();
    if (trimmed === '') return trimmed;
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      // Unparsable text may hold anything; its size is all that is kept.
      return JSON.stringify({ unparsable: `${trimmed.length} characters` });
    }
    let masked = this.maskJson(parsed);
    for (const path of this.#paths.get(tool) ?? []) masked = maskAt(masked, path);
    const text = JSON.stringify(masked);
    // Nothing to hide: keep the model's text as it came.
    return text === JSON.stringify(parsed) ? trimmed : text;
  }

  /** Text that may be JSON (a tool's output): masked value by value, or as text. */
  maskOutput(output: string): string {
    if (this.#values.size === 0 || !this.#contains(output)) return output;
    try {
      return JSON.stringify(this.maskJson(JSON.parse(output)));
    } catch {
      return this.maskText(output);
    }
  }

  /** A deep copy with every string or number that contains a known value masked. */
  maskJson(value: unknown): unknown {
    if (typeof value === 'string') return this.maskText(value);
    if (typeof value === 'number') return this.#contains(String(value)) ? maskChars(String(value)) : value;
    if (Array.isArray(value)) return value.map((item) => this.maskJson(item));
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.maskJson(v)]));
    }
    return value;
  }

  #contains(text: string): boolean {
    return this.#values.size > 0 && this.maskText(text) !== text;
  }

  #holdsDigitValue(digits: string): boolean {
    for (const value of this.#values) if (/^\d+$/.test(value) && digits.includes(value)) return true;
    return false;
  }
}

/** Digit values are matched on their digits; anything else as case-insensitive text. */
function matchKey(text: string): string {
  const digits = text.replace(/\D/g, '');
  // Mostly digits (an account number written "7391-5582"): a digit value.
  if (digits.length >= MIN_MATCH_CHARS && digits.length >= text.replace(/[\s\-./()+]/g, '').length) return digits;
  return text.trim().toLowerCase();
}

function maskChars(text: string): string {
  return text.replace(/[\p{L}\p{N}]/gu, MASK);
}

function valueAt(args: unknown, path: ArgumentPath): unknown {
  let at = args;
  for (const name of path) {
    if (typeof at !== 'object' || at === null || Array.isArray(at)) return undefined;
    at = (at as Record<string, unknown>)[name];
  }
  return at;
}

/** A copy of `value` with the argument at `path` masked (absent arguments stay absent). */
function maskAt(value: unknown, path: ArgumentPath): unknown {
  if (path.length === 0) {
    if (value === undefined || value === null) return value;
    return typeof value === 'string' || typeof value === 'number' ? maskChars(String(value)) : '[sensitive]';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const [head, ...rest] = path as [string, ...string[]];
  if (!(head in value)) return value;
  return { ...value, [head]: maskAt((value as Record<string, unknown>)[head], rest) };
}

/**
 * The record as it may be stored and sent: tool arguments and outputs and the transcript with
 * every sensitive value masked. Applied once, when the call ends, so values that became known
 * late (a collect_digits entry after an earlier tool call) are masked everywhere.
 */
export function maskedRecord(record: CallRecord, sensitive: SensitiveValues): CallRecord {
  return {
    ...record,
    ...(record.endDetail !== undefined ? { endDetail: sensitive.maskText(record.endDetail) } : {}),
    toolCalls: record.toolCalls.map((call) => ({
      ...call,
      arguments: sensitive.maskArguments(call.name, call.arguments),
      output: sensitive.maskOutput(call.output),
    })),
    turns: record.turns.map((turn) => {
      if (turn.role === 'caller') return { ...turn, text: sensitive.maskText(turn.text) };
      const masked = { ...turn, text: sensitive.maskText(turn.text) };
      if (turn.interrupted) masked.interrupted = { ...turn.interrupted, heardText: sensitive.maskText(turn.interrupted.heardText) };
      return masked;
    }),
  };
}
