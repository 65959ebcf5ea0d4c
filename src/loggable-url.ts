/**
 * URLs as they may appear in logs. Secrets ride in URLs in many ways (userinfo, any query name a
 * client picks: `token`, `access_token`, `key`, `auth`, …, a path segment a proxy invented), so
 * this shows what is known to be harmless and hides the rest, instead of hiding the names we
 * thought of:
 * - userinfo: never shown (`[redacted]@host` says it was there);
 * - query values: shown only for parameters in `shownParams`; other values become `[redacted]`;
 *   a parameter's name is shown when it looks like a name (letters, `_`, `.`, `-`, at most 32;
 *   secrets nearly always contain digits), otherwise it is redacted too;
 * - path segments: shown up to 15 characters; a longer segment, where tokens live (the bridge
 *   warns about tokens under 16 characters), becomes `[redacted]`;
 * - the fragment: never shown.
 * A leaf module: it imports nothing, so every layer may use it.
 */

export const REDACTED = '[redacted]';

/** Query parameters whose values tell an operator something and carry no secret. */
export const SHOWN_QUERY_PARAMS: ReadonlySet<string> = new Set(['model', 'agent', 'dialect', 'sampleRate', 'encoding']);

const NAME_LIKE = /^[A-Za-z_][A-Za-z_.-]{0,31}$/;
const MAX_SHOWN_SEGMENT = 15;

export interface LoggableUrlOptions {
  /** Query parameters whose values may be shown (default SHOWN_QUERY_PARAMS). */
  shownParams?: ReadonlySet<string>;
  /** Leave out scheme and host (a request line: path and query only). */
  pathOnly?: boolean;
}

export function loggableUrl(input: URL | string, opts: LoggableUrlOptions = {}): string {
  let url: URL;
  try {
    url = typeof input === 'string' ? new URL(input) : input;
  } catch {
    // Unparsable text may be anything, a bare key included.
    return `[unparsable URL, ${String(input).length} characters]`;
  }
  const shown = opts.shownParams ?? SHOWN_QUERY_PARAMS;
  const path = url.pathname
    .split('/')
    .map((segment) => (segment.length > MAX_SHOWN_SEGMENT ? REDACTED : segment))
    .join('/');
  const query = [...url.searchParams]
    .map(([name, value]) => {
      // Name-like names need no escaping; a shown value is escaped so it cannot forge the line.
      const shownName = NAME_LIKE.test(name) ? name : REDACTED;
      return `${shownName}=${shown.has(name) ? encodeURIComponent(value) : REDACTED}`;
    })
    .join('&');
  const tail = `${path}${query === '' ? '' : `?${query}`}`;
  if (opts.pathOnly) return tail;
  const userinfo = url.username !== '' || url.password !== '' ? `${REDACTED}@` : '';
  return `${url.protocol}//${userinfo}${url.host}${tail}`;
}
