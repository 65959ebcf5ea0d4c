/**
 * The HTTP side of connecting (§1): path, `Authorization: Bearer <key>`, `?model=`, and injected
 * handshake failures. Refusals are plain HTTP responses before the upgrade, which is how a client
 * sees them (ws reports "Unexpected server response: 401"). The JSON bodies follow Model Studio's
 * general error format (code, message, request_id); whether the realtime endpoint sends exactly
 * these is undocumented, so clients should rely on the status code only.
 */
import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { newId } from './ids.js';

export const REALTIME_PATH = '/api-ws/v1/realtime';

export type HandshakeResult =
  | { ok: true; model: string; workspaceId: string | undefined }
  | { ok: false; status: number; code: string; message: string };

const REFUSALS: Record<number, { code: string; message: string }> = {
  400: { code: 'BadRequest.EmptyModel', message: 'Required parameter "model" missing from request.' },
  401: { code: 'InvalidApiKey', message: 'Invalid API-key provided.' },
  403: { code: 'AccessDenied', message: 'Access denied.' },
  404: { code: 'NotFound', message: 'Not found.' },
  429: { code: 'Throttling', message: 'Requests rate limit exceeded, please try again later.' },
  500: { code: 'InternalError', message: 'An internal error has occurred, please try again later.' },
  503: { code: 'ServiceUnavailable', message: 'The service is temporarily unavailable, please try again later.' },
};

export function refusal(status: number): HandshakeResult {
  const known = REFUSALS[status] ?? { code: 'Error', message: STATUS_CODES[status] ?? 'Error' };
  return { ok: false, status, ...known };
}

function bearerKey(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization;
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

export function checkHandshake(
  request: IncomingMessage,
  apiKey: string | undefined,
  faultStatus: number | undefined,
): HandshakeResult {
  const url = new URL(request.url ?? '/', 'http://simulator.invalid');
  if (url.pathname !== REALTIME_PATH) return refusal(404);
  if (faultStatus !== undefined) return refusal(faultStatus);
  const key = bearerKey(request);
  if (key === undefined || (apiKey !== undefined && key !== apiKey)) return refusal(401);
  const model = url.searchParams.get('model');
  if (model === null || model.trim() === '') return refusal(400);
  const workspace = request.headers['x-dashscope-workspace'];
  return { ok: true, model, workspaceId: typeof workspace === 'string' ? workspace : undefined };
}

/** Writes an HTTP error response on the raw upgrade socket and closes it. */
export function refuseUpgrade(socket: Duplex, result: Extract<HandshakeResult, { ok: false }>): void {
  const body = JSON.stringify({ code: result.code, message: result.message, request_id: newId('req') });
  socket.end(
    `HTTP/1.1 ${result.status} ${STATUS_CODES[result.status] ?? 'Error'}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n' +
      '\r\n' +
      body,
  );
}
