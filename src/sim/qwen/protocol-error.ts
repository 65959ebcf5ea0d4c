/**
 * The in-session `error` event body (§6.1), in the two shapes the simulator can send.
 *
 * Documented (`fidelity: 'documented'`): `{ type, code, message, param }`, all strings. Only the
 * `invalid_request_error` / `invalid_value` example (rejected modalities) is documented verbatim;
 * every other code and message here is this simulator's choice, modelled on the OpenAI Realtime
 * codes the service's events otherwise mirror. `param` is "" when no single field is at fault,
 * because the docs say it is a string.
 *
 * Live (`fidelity: 'live'`): what clients of the live service report (field findings #4, S-8):
 * `code` is an HTTP-like number (400 for the client's mistakes, 500 for the server's) repeated in
 * `status`, `param` is null, and only `message` says what went wrong. Server-side failures often
 * carry the uninformative string code `COMMON_ERROR` instead. Clients must key on the event type
 * and read the message, never rely on the code's type.
 */
import type { Fidelity } from './fidelity.js';

/** The documented error body. */
export interface ErrorDetail {
  type: string;
  code: string;
  message: string;
  param: string;
}

/** The error body as live clients see it. */
export interface LiveErrorDetail {
  type: string;
  code: number | string;
  message: string;
  param: null;
  status: number;
}

/** Any error body the simulator sends; an injected fault may override any field. */
export interface WireErrorDetail {
  type: string;
  code: string | number;
  message: string;
  param: string | null;
  status?: number;
}

/** One error as the simulator decides it, before it is put in the chosen shape. */
export interface ProtocolError extends ErrorDetail {
  /** HTTP-like status: 400 when the client is at fault, 500 when the server is. */
  status: number;
  /** In live mode, a string code that replaces the number (e.g. `COMMON_ERROR`). */
  liveCode?: string;
}

export function wireError(error: ProtocolError, fidelity: Fidelity): WireErrorDetail {
  if (fidelity === 'documented') {
    return { type: error.type, code: error.code, message: error.message, param: error.param };
  }
  const live: LiveErrorDetail = {
    type: error.type,
    code: error.liveCode ?? error.status,
    message: error.message,
    param: null,
    status: error.status,
  };
  return live;
}

function invalidRequest(code: string, message: string, param = ''): ProtocolError {
  return { type: 'invalid_request_error', code, message, param, status: 400 };
}

function serverError(code: string, message: string, liveCode?: string): ProtocolError {
  const error: ProtocolError = { type: 'server_error', code, message, param: '', status: 500 };
  if (liveCode !== undefined) error.liveCode = liveCode;
  return error;
}

/** Python's repr of simple JSON values: the documented modalities message prints lists that way. */
export function pythonRepr(value: unknown): string {
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    return `{${entries.map(([k, v]) => `${pythonRepr(k)}: ${pythonRepr(v)}`).join(', ')}}`;
  }
  return typeof value === 'bigint' ? value.toString() : typeof value;
}

export const protocolErrors = {
  /** The one documented message, reproduced exactly (ZH-SE). */
  invalidModalities: (value: unknown): ProtocolError =>
    invalidRequest(
      'invalid_value',
      `Invalid modalities: ${pythonRepr(value)}. Supported combinations are: ['text'] and ['audio', 'text'].`,
      'session.modalities',
    ),
  invalidValue: (param: string, value: unknown, expected: string): ProtocolError =>
    invalidRequest('invalid_value', `Invalid value for '${param}': ${pythonRepr(value)}. ${expected}`, param),
  notSupportedByModel: (param: string, model: string, what: string): ProtocolError =>
    invalidRequest('invalid_value', `${what} is not supported by model '${model}'.`, param),
  toolsWithSearch: (): ProtocolError =>
    invalidRequest(
      'invalid_value',
      'Function calling (tools) and web search (enable_search) cannot be enabled at the same time.',
      'session.tools',
    ),
  missingParameter: (param: string): ProtocolError =>
    invalidRequest('missing_required_parameter', `Missing required parameter: '${param}'.`, param),
  unknownEventType: (type: string): ProtocolError =>
    invalidRequest('invalid_value', `Invalid event type: ${pythonRepr(type)}.`, 'type'),
  invalidJson: (): ProtocolError =>
    invalidRequest('invalid_json', 'The event could not be parsed as a JSON object.'),
  binaryFrame: (): ProtocolError =>
    invalidRequest('invalid_frame', 'Binary frames are not supported; send events as JSON text frames.'),
  cancelNotActive: (): ProtocolError =>
    invalidRequest('response_cancel_not_active', 'Cancellation failed: no active response found.'),
  commitEmpty: (): ProtocolError =>
    invalidRequest('input_audio_buffer_commit_empty', 'Error committing input audio buffer: the buffer is empty.'),
  responseAlreadyActive: (responseId: string): ProtocolError =>
    invalidRequest(
      'conversation_already_has_active_response',
      `Conversation already has an active response in progress: ${responseId}.`,
    ),
  itemTypeNotSupported: (value: unknown): ProtocolError =>
    invalidRequest(
      'invalid_value',
      `Invalid value: ${pythonRepr(value)}. Supported values are: 'function_call_output'.`,
      'item.type',
    ),
  /** Also the answer to an output sent before its tool-call response is done (live, finding #2). */
  unknownCallId: (callId: string): ProtocolError =>
    invalidRequest(
      'invalid_value',
      `Unknown function call id ${pythonRepr(callId)}: no function call with this id is awaiting output.`,
      'item.call_id',
    ),
  itemNotSupportedByModel: (model: string): ProtocolError =>
    invalidRequest(
      'invalid_value',
      `Conversation items of type 'message' are not supported by model '${model}'; only 'function_call_output' is.`,
      'item.type',
    ),
  invalidUserItem: (detail: string): ProtocolError =>
    invalidRequest('invalid_value', `Invalid conversation item: ${detail}`, 'item'),
  /** Live: the voice is refused when the first answer is synthesized, not at session.update (S-1). */
  voiceNotSupported: (message: string): ProtocolError => invalidRequest('invalid_value', message, 'session.voice'),
  imageBeforeAudio: (): ProtocolError =>
    invalidRequest('invalid_value', 'At least one audio append must precede an image append.', 'image'),
  appendTooLarge: (bytes: number): ProtocolError =>
    invalidRequest('invalid_value', `Audio append of ${bytes} bytes exceeds the 15 MiB limit.`, 'audio'),
  /** Fault injection only: the service's behaviour for a response.create with no input is undocumented. */
  noInputToRespondTo: (): ProtocolError =>
    invalidRequest('invalid_value', 'Cannot create a response: no user input has been committed.', 'response'),
  /** Fault injection only: a generic server-side failure (live: the uninformative COMMON_ERROR). */
  injected: (): ProtocolError =>
    serverError('internal_error', 'Simulated server error: internal error, please retry.', 'COMMON_ERROR'),
  /** Fault injection only: the response could not be generated (greeting faults). */
  responseFailed: (): ProtocolError =>
    serverError('internal_error', 'Simulated server error: the response could not be generated.', 'COMMON_ERROR'),
  /** Live: the service closes a session that has received nothing for a while (S-5). */
  idleClose: (idleMs: number): ProtocolError =>
    serverError('session_idle_timeout', `Session closed: too long without operation (${idleMs} ms).`),
} as const;
