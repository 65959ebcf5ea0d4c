/**
 * Why a session could not be set up, as an AiConnectError the call can act on: auth and quota
 * problems are the user's to fix, rate limits and server errors are worth a retry. The service may refuse the
 * WebSocket upgrade with an HTTP status or accept it and send an `error` event; the docs do not
 * say which, so both are classified the same way.
 */
import type { IncomingMessage } from 'node:http';
import { AiConnectError } from '../call/ai-session.js';

const MAX_BODY_BYTES = 1024;
const MAX_BODY_WAIT_MS = 1_000;

function authError(what: string, endpointHost: string, detail: string, httpStatus?: number): AiConnectError {
  return new AiConnectError(
    'auth',
    `Qwen refused the API key (${what})${detail}. Check DASHSCOPE_API_KEY; ` +
      `keys belong to one region, so the key must come from the region of ${endpointHost}.`,
    httpStatus,
  );
}

/**
 * Words the service (and the Qwen team's client's classifier) use for throttling and for an
 * account out of quota or credit; they may come in the code or only in the message.
 */
const RATE_LIMIT_TEXT = /limit_requests|LimitRequests|limit_burst_rate|ResourceExhausted|Throttling|rate.?limit|too many requests/i;
const QUOTA_TEXT = /insufficient_quota|Arrearage|quota exceeded|QuotaExhausted|overdue/i;
const AUTH_TEXT = /InvalidApiKey|invalid api.?key|AccessDenied|Unauthorized/i;

function quotaError(text: string, httpStatus?: number): AiConnectError {
  return new AiConnectError(
    'quota',
    `Qwen refused the session for the account's quota or balance: ${text}. Check the Model Studio account; retrying will not help.`,
    httpStatus,
  );
}

export function upgradeFailureError(httpStatus: number, endpointHost: string, bodySnippet: string): AiConnectError {
  const detail = bodySnippet === '' ? '' : `: ${bodySnippet}`;
  if (QUOTA_TEXT.test(bodySnippet)) return quotaError(bodySnippet, httpStatus);
  if (httpStatus === 401 || httpStatus === 403) return authError(`HTTP ${httpStatus}`, endpointHost, detail, httpStatus);
  if (httpStatus === 429 || RATE_LIMIT_TEXT.test(bodySnippet)) {
    return new AiConnectError('rate_limited', `Qwen is rate limiting this account (HTTP 429)${detail}`, httpStatus);
  }
  if (httpStatus >= 500 && httpStatus <= 599) {
    return new AiConnectError('server', `Qwen server error during the upgrade (HTTP ${httpStatus})${detail}`, httpStatus);
  }
  return new AiConnectError('handshake', `Qwen refused the WebSocket upgrade (HTTP ${httpStatus})${detail}`, httpStatus);
}

/**
 * An `error` event before session.updated. Codes are Model Studio's general ones (InvalidApiKey,
 * AccessDenied, Throttling.*, InternalError…); anything else after our session.update is taken
 * as a verdict on the configuration.
 */
export function handshakeErrorEventError(
  code: string,
  message: string,
  sessionUpdateSent: boolean,
  endpointHost: string,
): AiConnectError {
  const detail = `: ${message || code || 'no details'}`;
  const text = `${code} ${message}`;
  if (QUOTA_TEXT.test(text)) return quotaError(message || code);
  if (/^(InvalidApiKey|AccessDenied|Unauthorized|Forbidden|401|403)$/i.test(code) || AUTH_TEXT.test(text)) {
    return authError(`code ${code}`, endpointHost, detail);
  }
  if (/^(Throttling|RateLimit|TooManyRequests|429)/i.test(code) || RATE_LIMIT_TEXT.test(text)) {
    return new AiConnectError('rate_limited', `Qwen is rate limiting this account (code ${code})${detail}`);
  }
  if (/^(InternalError|SystemError|ServiceUnavailable|5\d\d)/i.test(code)) {
    return new AiConnectError('server', `Qwen server error during the handshake (code ${code})${detail}`);
  }
  return sessionUpdateSent
    ? new AiConnectError('rejected_config', `Qwen rejected the session configuration${detail}`)
    : new AiConnectError('handshake', `Qwen error before the session started${detail}`);
}

/**
 * The start of an error response's body (DashScope explains itself there, e.g. an invalid key),
 * on one line, with the key removed in case the server ever echoes it. Bounded in size and time.
 */
export function readBodySnippet(res: IncomingMessage, secret: string): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let receivedBytes = 0;
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      res.removeAllListeners('data');
      const text = Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES).toString('utf8');
      const oneLine = text.replace(/\s+/g, ' ').trim();
      resolve(secret === '' ? oneLine : oneLine.split(secret).join('[redacted]'));
    };
    const timer = setTimeout(finish, MAX_BODY_WAIT_MS);
    res.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      receivedBytes += chunk.length;
      if (receivedBytes >= MAX_BODY_BYTES) finish();
    });
    res.once('end', finish);
    res.once('close', finish);
    res.once('error', finish);
  });
}
