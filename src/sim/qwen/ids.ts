/**
 * Server-side identifiers in the shapes the service uses (`sess_…`, `item_…`, `resp_…`, `conv_…`,
 * `call_…`, and `event_…` for every server event). Random rather than counted: a client must not
 * be able to rely on ids being ordered or predictable, because the real ones are not.
 */
import { randomBytes } from 'node:crypto';

export type IdPrefix = 'event' | 'sess' | 'item' | 'resp' | 'conv' | 'call' | 'req';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const ID_BODY_LENGTH = 22;

export function newId(prefix: IdPrefix): string {
  let body = '';
  // The modulo bias (256 is not a multiple of 62) is irrelevant for identifiers.
  for (const byte of randomBytes(ID_BODY_LENGTH)) body += ALPHABET.charAt(byte % ALPHABET.length);
  return `${prefix}_${body}`;
}
