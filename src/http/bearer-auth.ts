/**
 * Bearer-token check for the admin and call-records routes. Both sides are hashed before the
 * constant-time compare, so neither the token's bytes nor its length leak through timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The OpenAPI security scheme these routes declare. */
export const ADMIN_SECURITY = [{ adminToken: [] }];

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

export function tokenMatches(given: string, expectedDigest: Buffer): boolean {
  return timingSafeEqual(digest(given), expectedDigest);
}

/** An onRequest hook answering 401 unless `Authorization: Bearer <token>` carries the token. */
export function requireBearer(token: string): (req: FastifyRequest, reply: FastifyReply, done: () => void) => void {
  const expected = digest(token);
  return (req, reply, done) => {
    const header = req.headers.authorization;
    const match = header === undefined ? null : /^Bearer +(\S+)\s*$/i.exec(header);
    if (match?.[1] !== undefined && tokenMatches(match[1], expected)) {
      done();
      return;
    }
    void reply
      .code(401)
      .header('www-authenticate', 'Bearer realm="qwen-phone-bridge"')
      .send({ error: 'unauthorized', message: 'a valid admin bearer token is required' });
  };
}
