// Reading request bodies the way Toxiproxy's Go decoder does: unknown fields are ignored, `null` leaves a field as
// it was, and a value of the wrong JSON type is a 400 naming the field and the type it should have had.
import { badRequestBody } from './errors.ts';

export type JsonObject = Record<string, unknown>;

/** Parses a request body; an empty body is Go's `EOF`. */
export function parseBody(text: string): unknown {
  if (text.trim() === '') throw badRequestBody('EOF');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw badRequestBody((err as Error).message);
  }
}

/** The JSON kind of a value, in the words Go's decoder uses in its errors. */
export function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object') return 'object';
  return typeof value;
}

function mismatch(value: unknown, struct: string, key: string, goType: string) {
  return badRequestBody(
    `json: cannot unmarshal ${jsonKind(value)} into Go struct field ${struct}.${key} of type ${goType}`,
  );
}

/** The body as an object; `goType` names what Go would have decoded into, for the error. */
export function expectObject(value: unknown, goType: string): JsonObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw badRequestBody(`json: cannot unmarshal ${jsonKind(value)} into Go value of type ${goType}`);
  }
  return value as JsonObject;
}

/** A string field, or `fallback` when it is absent or null. */
export function stringField(obj: JsonObject, key: string, struct: string, fallback: string): string {
  const value = obj[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'string') throw mismatch(value, struct, key, 'string');
  return value;
}

export function boolField(obj: JsonObject, key: string, struct: string, fallback: boolean): boolean {
  const value = obj[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') throw mismatch(value, struct, key, 'bool');
  return value;
}

export function numberField(obj: JsonObject, key: string, struct: string, fallback: number): number {
  const value = obj[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number') throw mismatch(value, struct, key, 'float32');
  return value;
}

/**
 * A whole-number attribute (Go int64): the wrong type is Go's error; a fraction or a negative value, which Go would
 * take and then misbehave on, is refused with what was wrong and what the attribute means.
 */
export function wholeField(obj: JsonObject, key: string, struct: string, unit: string, fallback: number): number {
  const value = obj[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number') throw mismatch(value, struct, `attributes.${key}`, 'int64');
  if (!Number.isSafeInteger(value) || value < 0) {
    throw badRequestBody(`attribute ${key} must be a whole number >= 0 (${unit}), got ${value}`);
  }
  return value;
}
