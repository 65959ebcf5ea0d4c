/**
 * Which agent answers a dialed number. Four pattern forms, tried in this order:
 *
 *   "+15550100"        exact (formatting ignored: "+1 (555) 010-0" is the same number)
 *   "+1555*"           prefix: a trailing * matches any rest; the longest matching prefix wins
 *   "/^\+1555\d{4}$/"  regex: between slashes, no flags, tested against the normalized number
 *                      (digits, a leading +, * and #); regexes are tried in file-name order
 *   "*"                the default agent, for numbers nothing else claims
 *
 * A number claimed twice in the same form is a load error, so routing never depends on luck.
 */

export type NumberPattern =
  | { kind: 'exact'; number: string }
  | { kind: 'prefix'; prefix: string }
  | { kind: 'regex'; regex: RegExp }
  | { kind: 'default' };

/** Compare numbers by their digits and a leading +, so "+1 (555) 010-0100" matches "+15550100100". */
export function normalizeNumber(number: string): string {
  const trimmed = number.trim();
  const sipUser = /^sips?:([^@;]+)/.exec(trimmed)?.[1] ?? trimmed;
  return sipUser.replace(/[^\d+*#a-zA-Z]/g, '');
}

/** Parses one `numbers:` entry; a string result is the problem, worded as a fix. */
export function parseNumberPattern(text: string): NumberPattern | string {
  const trimmed = text.trim();
  if (trimmed === '*') return { kind: 'default' };
  if (trimmed.length >= 2 && trimmed.startsWith('/') && trimmed.endsWith('/')) {
    try {
      return { kind: 'regex', regex: new RegExp(trimmed.slice(1, -1)) };
    } catch (err) {
      return `${trimmed} is not a valid regular expression (${(err as Error).message})`;
    }
  }
  const normalized = normalizeNumber(trimmed);
  if (normalized.endsWith('*')) {
    const prefix = normalized.slice(0, -1);
    if (prefix.includes('*')) return `${trimmed}: only one * is allowed, at the end ("+1555*")`;
    return { kind: 'prefix', prefix };
  }
  if (normalized === '') return `"${text}" has no digits: write a number ("+15550100"), a prefix ("+1555*"), a /regex/ or "*"`;
  return { kind: 'exact', number: normalized };
}

function describe(pattern: NumberPattern): string {
  switch (pattern.kind) {
    case 'exact':
      return `number ${pattern.number}`;
    case 'prefix':
      return `prefix ${pattern.prefix}*`;
    case 'regex':
      return `regex /${pattern.regex.source}/`;
    case 'default':
      return '"*"';
  }
}

export class NumberRouter<T> {
  readonly #exact = new Map<string, T>();
  readonly #prefixes: Array<{ prefix: string; value: T }> = [];
  readonly #regexes: Array<{ regex: RegExp; value: T }> = [];
  #fallback: { value: T; owner: string } | undefined;
  readonly #owners = new Map<string, string>();

  /** Claims a pattern for `value`; returns the conflict, if another owner claimed it first. */
  add(pattern: NumberPattern, value: T, owner: string): string | undefined {
    const key = `${pattern.kind}:${pattern.kind === 'regex' ? pattern.regex.source : describe(pattern)}`;
    const previous = this.#owners.get(key);
    if (previous !== undefined) return `${describe(pattern)} is already answered by agent ${previous}`;
    this.#owners.set(key, owner);
    switch (pattern.kind) {
      case 'exact':
        this.#exact.set(pattern.number, value);
        break;
      case 'prefix':
        this.#prefixes.push({ prefix: pattern.prefix, value });
        // Longest first, so "+15550*" beats "+1555*".
        this.#prefixes.sort((a, b) => b.prefix.length - a.prefix.length);
        break;
      case 'regex':
        this.#regexes.push({ regex: pattern.regex, value });
        break;
      case 'default':
        this.#fallback = { value, owner };
        break;
    }
    return undefined;
  }

  resolve(dialed: string): T | undefined {
    const number = normalizeNumber(dialed);
    const exact = this.#exact.get(number);
    if (exact !== undefined) return exact;
    for (const { prefix, value } of this.#prefixes) if (number.startsWith(prefix)) return value;
    for (const { regex, value } of this.#regexes) if (regex.test(number)) return value;
    return this.#fallback?.value;
  }
}
