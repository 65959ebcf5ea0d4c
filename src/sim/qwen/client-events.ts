/**
 * Parses one WebSocket frame from the client into a typed event (§5). This is the only place that
 * looks at raw client JSON. Anything that is not one of the eight documented client events
 * becomes an `error` for the client; none of these failures ends the session.
 */
import { protocolErrors, pythonRepr, type ProtocolError } from './protocol-error.js';

/** Per-append limit stated in the SDK reference (§4). */
export const MAX_APPEND_BYTES = 15 * 1024 * 1024;

export type ClientEvent =
  | { type: 'session.update'; session: unknown }
  | { type: 'input_audio_buffer.append'; audio: Buffer }
  | { type: 'input_audio_buffer.commit' }
  | { type: 'input_audio_buffer.clear' }
  | { type: 'input_image_buffer.append'; imageBytes: number }
  | { type: 'response.create'; instructions: string | undefined }
  | { type: 'response.cancel' }
  | { type: 'conversation.item.create'; item: FunctionCallOutputItem }
  /** A user text message; whether the model takes it is the session's call (fidelity, family). */
  | { type: 'conversation.item.create'; item: UserTextItem };

export type ClientEventType = ClientEvent['type'];

export interface FunctionCallOutputItem {
  type: 'function_call_output';
  id: string | undefined;
  call_id: string;
  output: string;
}

export interface UserTextItem {
  type: 'message';
  id: string | undefined;
  /** The item's input_text parts, joined. */
  text: string;
  /** Why the item is malformed, if it is (only reported where message items are accepted at all). */
  problem: string | undefined;
}

export type ParsedFrame =
  | { ok: true; event: ClientEvent; json: Record<string, unknown> }
  | { ok: false; error: ProtocolError; json: Record<string, unknown> | undefined };

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function decodeBase64(param: string, value: unknown): Buffer | ProtocolError {
  if (typeof value !== 'string') {
    return value === undefined
      ? protocolErrors.missingParameter(param)
      : protocolErrors.invalidValue(param, typeof value, 'Expected a base64 string.');
  }
  if (value.length % 4 !== 0 || !BASE64.test(value)) {
    return protocolErrors.invalidValue(param, `${value.slice(0, 16)}…`, 'Expected a base64 string.');
  }
  return Buffer.from(value, 'base64');
}

type EventOrError = ClientEvent | { error: ProtocolError };

function parseEvent(json: Record<string, unknown>): EventOrError {
  const type = json.type;
  if (typeof type !== 'string') return { error: protocolErrors.missingParameter('type') };
  switch (type) {
    case 'session.update':
      return { type, session: json.session };
    case 'input_audio_buffer.append': {
      const audio = decodeBase64('audio', json.audio);
      if (!Buffer.isBuffer(audio)) return { error: audio };
      if (audio.length > MAX_APPEND_BYTES) return { error: protocolErrors.appendTooLarge(audio.length) };
      return { type, audio };
    }
    case 'input_audio_buffer.commit':
    case 'input_audio_buffer.clear':
    case 'response.cancel':
      return { type };
    case 'input_image_buffer.append': {
      const image = decodeBase64('image', json.image);
      if (!Buffer.isBuffer(image)) return { error: image };
      return { type, imageBytes: image.length };
    }
    case 'response.create': {
      // The official page shows no body; the SDK sends `response.instructions`. The simulator
      // honours only `instructions` (to pick its scripted reply) and ignores other overrides.
      const response = json.response;
      if (response !== undefined && !isRecord(response)) {
        return { error: protocolErrors.invalidValue('response', response, 'Expected an object.') };
      }
      const instructions = response?.instructions;
      if (instructions !== undefined && typeof instructions !== 'string') {
        return { error: protocolErrors.invalidValue('response.instructions', instructions, 'Expected a string.') };
      }
      return { type, instructions: instructions === '' ? undefined : instructions };
    }
    case 'conversation.item.create': {
      const item = json.item;
      if (!isRecord(item)) return { error: protocolErrors.missingParameter('item') };
      if (item.type === 'message') return parseUserTextItem(item);
      if (item.type !== 'function_call_output') return { error: protocolErrors.itemTypeNotSupported(item.type) };
      if (typeof item.call_id !== 'string' || item.call_id === '') {
        return { error: protocolErrors.missingParameter('item.call_id') };
      }
      if (typeof item.output !== 'string') {
        return {
          error:
            item.output === undefined
              ? protocolErrors.missingParameter('item.output')
              : protocolErrors.invalidValue('item.output', item.output, 'Expected a string.'),
        };
      }
      const id = typeof item.id === 'string' && item.id !== '' ? item.id : undefined;
      return { type, item: { type: 'function_call_output', id, call_id: item.call_id, output: item.output } };
    }
    default:
      // Includes session.finish (rejected by the service, ISS140) and the OpenAI events that
      // Omni-Realtime does not have (conversation.item.truncate, output_audio_buffer.clear, …).
      return { error: protocolErrors.unknownEventType(type) };
  }
}

/** `{type:'message', role:'user', content:[{type:'input_text', text}]}`, the form NEKO and
 *  Qwen-Live-Harness send; other roles and content types are refused. */
function parseUserTextItem(item: Record<string, unknown>): ClientEvent {
  const id = typeof item.id === 'string' && item.id !== '' ? item.id : undefined;
  const texts: string[] = [];
  let problem: string | undefined;
  const content = item.content;
  if (item.role !== 'user') problem = `role ${pythonRepr(item.role)} is not supported; use 'user'.`;
  else if (!Array.isArray(content) || content.length === 0) problem = 'content must be a non-empty list of input_text parts.';
  else {
    for (const part of content as unknown[]) {
      if (!isRecord(part) || part.type !== 'input_text' || typeof part.text !== 'string') {
        problem = "every content part must be {type: 'input_text', text: string}.";
        break;
      }
      texts.push(part.text);
    }
  }
  return { type: 'conversation.item.create', item: { type: 'message', id, text: texts.join(''), problem } };
}

export function parseClientFrame(data: Buffer, isBinary: boolean): ParsedFrame {
  if (isBinary) return { ok: false, error: protocolErrors.binaryFrame(), json: undefined };
  let json: unknown;
  try {
    json = JSON.parse(data.toString('utf8'));
  } catch {
    return { ok: false, error: protocolErrors.invalidJson(), json: undefined };
  }
  if (!isRecord(json)) return { ok: false, error: protocolErrors.invalidJson(), json: undefined };
  const parsed = parseEvent(json);
  return 'error' in parsed ? { ok: false, error: parsed.error, json } : { ok: true, event: parsed, json };
}
