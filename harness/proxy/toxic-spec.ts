// What a toxic is on the API: its type, stream, toxicity and attributes, read and checked the way Toxiproxy 2.x
// reads them (same defaults, same order of checks, same errors), and written back in the same JSON shape.
import { expectObject, type JsonObject, jsonKind, numberField, parseBody, stringField, wholeField } from './decode.ts';
import { badRequestBody, invalidStream, invalidToxicType } from './errors.ts';

export const toxicTypes = [
  'latency',
  'bandwidth',
  'slow_close',
  'timeout',
  'reset_peer',
  'slicer',
  'limit_data',
] as const;
export type ToxicType = (typeof toxicTypes)[number];
export type Stream = 'upstream' | 'downstream';

export type Attributes = Readonly<Record<string, number>>;

export interface ToxicSpec {
  readonly name: string;
  readonly type: ToxicType;
  readonly stream: Stream;
  /** Probability in [0, 1] that the toxic applies to a given connection and direction. */
  readonly toxicity: number;
  readonly attributes: Attributes;
}

interface AttributeDef {
  readonly name: string;
  readonly unit: string;
}

// Attribute names, in the order Toxiproxy prints them, with their units (for error messages and docs).
const attributeDefs: Record<ToxicType, readonly AttributeDef[]> = {
  latency: [
    { name: 'latency', unit: 'milliseconds' },
    { name: 'jitter', unit: 'milliseconds' },
  ],
  bandwidth: [{ name: 'rate', unit: 'KB/s' }],
  slow_close: [{ name: 'delay', unit: 'milliseconds' }],
  timeout: [{ name: 'timeout', unit: 'milliseconds' }],
  reset_peer: [{ name: 'timeout', unit: 'milliseconds' }],
  slicer: [
    { name: 'average_size', unit: 'bytes' },
    { name: 'size_variation', unit: 'bytes' },
    { name: 'delay', unit: 'microseconds' },
  ],
  limit_data: [{ name: 'bytes', unit: 'bytes' }],
};

// The Go struct each type decodes into, named in type errors as Toxiproxy names it.
const goStructs: Record<ToxicType, string> = {
  latency: 'LatencyToxic',
  bandwidth: 'BandwidthToxic',
  slow_close: 'SlowCloseToxic',
  timeout: 'TimeoutToxic',
  reset_peer: 'ResetToxic',
  slicer: 'SlicerToxic',
  limit_data: 'LimitDataToxic',
};

export function isToxicType(value: string): value is ToxicType {
  return (toxicTypes as readonly string[]).includes(value);
}

/** The first part of a create request: everything Toxiproxy checks before it looks for a duplicate name. */
export interface ToxicHeader {
  readonly body: JsonObject;
  readonly name: string;
  readonly type: ToxicType;
  readonly stream: Stream;
  readonly toxicity: number;
}

const wrapper = 'ToxicWrapper';

/** Reads a create body up to the type check: bad JSON, then the stream, then the default name, then the type. */
export function readToxicHeader(text: string): ToxicHeader {
  const body = expectObject(parseBody(text), 'toxics.ToxicWrapper');
  const rawStream = stringField(body, 'stream', wrapper, 'downstream');
  const typeName = stringField(body, 'type', wrapper, '');
  const toxicity = readToxicity(body, 1);
  const attrs = body.attributes;
  if (attrs !== undefined && attrs !== null && jsonKind(attrs) !== 'object') {
    throw badRequestBody(`json: cannot unmarshal ${jsonKind(attrs)} into Go struct field ${wrapper}.attributes`);
  }
  const stream = rawStream.toLowerCase();
  if (stream !== 'upstream' && stream !== 'downstream') throw invalidStream();
  const name = stringField(body, 'name', wrapper, '') || `${typeName}_${rawStream}`;
  if (!isToxicType(typeName)) throw invalidToxicType();
  return { body, name, type: typeName, stream, toxicity };
}

/** Completes a create request once the name is known to be free: the attributes, over their zero defaults. */
export function completeToxic(header: ToxicHeader): ToxicSpec {
  const attributes = readAttributes(header.type, header.body.attributes, zeroAttributes(header.type));
  return { name: header.name, type: header.type, stream: header.stream, toxicity: header.toxicity, attributes };
}

/** An update changes only `attributes` (merged over the current ones) and `toxicity`; other fields are ignored. */
export function applyToxicUpdate(current: ToxicSpec, text: string): ToxicSpec {
  const body = expectObject(parseBody(text), 'struct { Attributes interface {}; Toxicity float32 }');
  const toxicity = readToxicity(body, current.toxicity);
  const attributes = readAttributes(current.type, body.attributes, current.attributes);
  return { ...current, toxicity, attributes };
}

function readToxicity(body: JsonObject, fallback: number): number {
  const toxicity = numberField(body, 'toxicity', wrapper, fallback);
  if (toxicity < 0 || toxicity > 1) {
    throw badRequestBody(`toxicity must be between 0 and 1 (the probability the toxic applies), got ${toxicity}`);
  }
  return toxicity;
}

function zeroAttributes(type: ToxicType): Attributes {
  return Object.fromEntries(attributeDefs[type].map((d) => [d.name, 0]));
}

function readAttributes(type: ToxicType, raw: unknown, base: Attributes): Attributes {
  if (raw === undefined || raw === null) return base;
  if (jsonKind(raw) !== 'object') {
    throw badRequestBody(`json: cannot unmarshal ${jsonKind(raw)} into Go value of type toxics.${goStructs[type]}`);
  }
  const obj = raw as JsonObject;
  const out: Record<string, number> = {};
  for (const def of attributeDefs[type]) {
    out[def.name] = wholeField(obj, def.name, goStructs[type], def.unit, base[def.name] ?? 0);
  }
  validateAttributes(type, out);
  return out;
}

// Combinations Toxiproxy would accept and then loop or crash on; refused up front instead.
function validateAttributes(type: ToxicType, attrs: Attributes): void {
  if (type !== 'slicer') return;
  const average = attrs.average_size ?? 0;
  const variation = attrs.size_variation ?? 0;
  if (average < 1) throw badRequestBody(`slicer attribute average_size must be at least 1 byte, got ${average}`);
  if (variation >= average) {
    throw badRequestBody(
      `slicer attribute size_variation (${variation}) must be smaller than average_size (${average})`,
    );
  }
}

/** The JSON Toxiproxy answers with: attributes first, then name, type, stream, toxicity. */
export function toxicJson(spec: ToxicSpec): JsonObject {
  return {
    attributes: { ...spec.attributes },
    name: spec.name,
    type: spec.type,
    stream: spec.stream,
    toxicity: spec.toxicity,
  };
}
