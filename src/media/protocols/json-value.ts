/**
 * Reading untrusted JSON from carriers. Platforms disagree on whether numbers travel as numbers
 * or strings (Twilio sends `"sequenceNumber":"3"`, jambonz sends `"sampleRate":8000`), so the
 * readers accept both where a scalar is expected and return undefined instead of throwing.
 */
import { decoded, violation, type Decoded } from './violation.js';

export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parse text that must hold one JSON object. */
export function parseJsonObject(text: string): Decoded<JsonObject> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return violation('malformed_json', 'text frame is not valid JSON');
  }
  if (!isJsonObject(value)) return violation('bad_message', 'JSON message is not an object');
  return decoded(value);
}

export function objectField(obj: JsonObject, key: string): JsonObject | undefined {
  const value = obj[key];
  return isJsonObject(value) ? value : undefined;
}

/** A string, number or boolean field as a string; empty strings count as absent. */
export function scalarField(obj: JsonObject, key: string): string | undefined {
  const value = obj[key];
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return String(value);
  return undefined;
}

/** The first of several alternative keys that holds a scalar (tolerant field mapping). */
export function firstScalarField(obj: JsonObject, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const value = scalarField(obj, key);
    if (value !== undefined) return value;
  }
  return undefined;
}

/** A number, or a string holding only a number. */
export function numberField(obj: JsonObject, key: string): number | undefined {
  const value = obj[key];
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  return undefined;
}

/** Every scalar field of an object as strings: how platform parameters become call attributes. */
export function scalarFields(obj: JsonObject): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(obj)) {
    const value = scalarField(obj, key);
    if (value !== undefined) out[key] = value;
  }
  return out;
}
