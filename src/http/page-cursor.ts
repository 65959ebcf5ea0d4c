/**
 * Opaque page cursors for GET /calls: the sort key of the last row, so a page never repeats or
 * skips a row when calls are written meanwhile (offsets would).
 */
import type { PageCursor } from '../call/call-store.js';

export function encodeCursor(cursor: PageCursor): string {
  return Buffer.from(JSON.stringify([cursor.startedAt, cursor.callId])).toString('base64url');
}

/** undefined when the text is not a cursor this bridge made. */
export function decodeCursor(text: string): PageCursor | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (!Array.isArray(parsed) || parsed.length !== 2) return undefined;
    const [startedAt, callId] = parsed as unknown[];
    if (typeof startedAt !== 'number' || !Number.isSafeInteger(startedAt)) return undefined;
    if (typeof callId !== 'string' || callId.length === 0) return undefined;
    return { startedAt, callId };
  } catch {
    return undefined;
  }
}
