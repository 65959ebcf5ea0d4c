/** The text of a ws message, whichever of its three shapes ws delivered it in. */
import type { RawData } from 'ws';

export function wsText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  return Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
}
