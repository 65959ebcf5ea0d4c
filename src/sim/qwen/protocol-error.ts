/**
 * The in-session `error` event body (§6.1): `{ type, code, message, param }`, all strings. Only the
 * `invalid_request_error` / `invalid_value` example (rejected modalities) is documented verbatim;
 * every other code and message here is this simulator's choice, modelled on the OpenAI Realtime
 * codes the service's events otherwise mirror. Clients must key on the event type, never on these
 * strings. `param` is "" when no single field is at fault, because the docs say it is a string.
 */

export interface ErrorDetail {
  type: string;
  code: string;
  message: string;
  param: string;
}

function invalidRequest(code: string, message: string, param = ''): ErrorDetail {
  return { type: 'invalid_request_error', code, message, param };
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
  invalidModalities: (value: unknown): ErrorDetail =>
    invalidRequest(
      'invalid_value',
      `Invalid modalities: ${pythonRepr(value)}. Supported combinations are: ['text'] and ['audio', 'text'].`,
      'session.modalities',
    ),
  invalidValue: (param: string, value: unknown, expected: string): ErrorDetail =>
    invalidRequest('invalid_value', `Invalid value for '${param}': ${pythonRepr(value)}. ${expected}`, param),
  notSupportedByModel: (param: string, model: string, what: string): ErrorDetail =>
    invalidRequest('invalid_value', `${what} is not supported by model '${model}'.`, param),
  toolsWithSearch: (): ErrorDetail =>
    invalidRequest(
      'invalid_value',
      'Function calling (tools) and web search (enable_search) cannot be enabled at the same time.',
      'session.tools',
    ),
  missingParameter: (param: string): ErrorDetail =>
    invalidRequest('missing_required_parameter', `Missing required parameter: '${param}'.`, param),
  unknownEventType: (type: string): ErrorDetail =>
    invalidRequest('invalid_value', `Invalid event type: ${pythonRepr(type)}.`, 'type'),
  invalidJson: (): ErrorDetail =>
    invalidRequest('invalid_json', 'The event could not be parsed as a JSON object.'),
  binaryFrame: (): ErrorDetail =>
    invalidRequest('invalid_frame', 'Binary frames are not supported; send events as JSON text frames.'),
  cancelNotActive: (): ErrorDetail =>
    invalidRequest('response_cancel_not_active', 'Cancellation failed: no active response found.'),
  commitEmpty: (): ErrorDetail =>
    invalidRequest('input_audio_buffer_commit_empty', 'Error committing input audio buffer: the buffer is empty.'),
  responseAlreadyActive: (responseId: string): ErrorDetail =>
    invalidRequest(
      'conversation_already_has_active_response',
      `Conversation already has an active response in progress: ${responseId}.`,
    ),
  itemTypeNotSupported: (value: unknown): ErrorDetail =>
    invalidRequest(
      'invalid_value',
      `Invalid value: ${pythonRepr(value)}. Supported values are: 'function_call_output'.`,
      'item.type',
    ),
  unknownCallId: (callId: string): ErrorDetail =>
    invalidRequest(
      'invalid_value',
      `No function call with call_id ${pythonRepr(callId)} is awaiting output.`,
      'item.call_id',
    ),
  imageBeforeAudio: (): ErrorDetail =>
    invalidRequest('invalid_value', 'At least one audio append must precede an image append.', 'image'),
  appendTooLarge: (bytes: number): ErrorDetail =>
    invalidRequest('invalid_value', `Audio append of ${bytes} bytes exceeds the 15 MiB limit.`, 'audio'),
  /** Fault injection only: the service's behaviour for a response.create with no input is undocumented. */
  noInputToRespondTo: (): ErrorDetail =>
    invalidRequest('invalid_value', 'Cannot create a response: no user input has been committed.', 'response'),
  /** Fault injection only: a generic server-side failure. */
  injected: (): ErrorDetail => ({
    type: 'server_error',
    code: 'internal_error',
    message: 'Simulated server error.',
    param: '',
  }),
} as const;
