// A tiny schema language: each record type is written once, as a schema, and its TypeScript type is inferred from it,
// so the validator and the type cannot drift apart (maelstrom's "define the contract once" idea, without a dependency).
// Unknown fields are allowed and ignored: histories from other tools carry extra keys, and newer writers may add some.

/** A value did not match its schema. `path` names the field, e.g. `votes.rm`. */
export class SchemaError extends Error {
  override readonly name = 'SchemaError';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(path === '' ? reason : `field "${path}": ${reason}`);
  }
}

export interface Schema<T> {
  readonly expected: string;
  readonly optional: boolean;
  parse(value: unknown, path: string): T;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}

function leaf<T>(expected: string, accept: (v: unknown) => boolean): Schema<T> {
  return {
    expected,
    optional: false,
    parse(value, path) {
      if (!accept(value)) throw new SchemaError(path, `expected ${expected}, got ${describe(value)}`);
      return value as T;
    },
  };
}

export const str = leaf<string>('a string', (v) => typeof v === 'string');
export const num = leaf<number>('a finite number', (v) => typeof v === 'number' && Number.isFinite(v));
export const int = leaf<number>('a whole number', (v) => Number.isSafeInteger(v));
export const bool = leaf<boolean>('true or false', (v) => typeof v === 'boolean');
/** Any JSON value, including null (an op's `value`). Absent reads as undefined. */
export const json: Schema<unknown> = { expected: 'any value', optional: true, parse: (v) => v };
export const strOrInt = leaf<string | number>(
  'a string or a whole number',
  (v) => typeof v === 'string' || Number.isSafeInteger(v),
);

export function lit<const T extends string>(...values: T[]): Schema<T> {
  const allowed = new Set<unknown>(values);
  return leaf<T>(`one of ${values.map((v) => JSON.stringify(v)).join(', ')}`, (v) => allowed.has(v));
}

export function opt<T>(inner: Schema<T>): Schema<T | undefined> {
  return {
    expected: inner.expected,
    optional: true,
    parse: (value, path) => (value === undefined || value === null ? undefined : inner.parse(value, path)),
  };
}

export function arr<T>(inner: Schema<T>): Schema<T[]> {
  return {
    expected: `a list of ${inner.expected}`,
    optional: false,
    parse(value, path) {
      if (!Array.isArray(value)) throw new SchemaError(path, `expected a list, got ${describe(value)}`);
      return value.map((item, i) => inner.parse(item, `${path}[${i}]`));
    },
  };
}

/** A map with string keys, e.g. votes by participant. */
export function dict<T>(inner: Schema<T>): Schema<Record<string, T>> {
  return {
    expected: `an object of ${inner.expected}`,
    optional: false,
    parse(value, path) {
      if (!isPlainObject(value)) throw new SchemaError(path, `expected an object, got ${describe(value)}`);
      const out: Record<string, T> = {};
      for (const [k, v] of Object.entries(value)) out[k] = inner.parse(v, join(path, k));
      return out;
    },
  };
}

type Shape = Record<string, Schema<unknown>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: undefined extends Infer<S[K]> ? K : never }[keyof S];
type Prettify<T> = { [K in keyof T]: T[K] } & {};
export type InferShape<S extends Shape> = Prettify<
  { [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Infer<S[K]> }
>;

export function obj<S extends Shape>(shape: S): Schema<InferShape<S>> {
  const fields = Object.entries(shape);
  return {
    expected: 'an object',
    optional: false,
    parse(value, path) {
      if (!isPlainObject(value)) throw new SchemaError(path, `expected an object, got ${describe(value)}`);
      const out: Record<string, unknown> = {};
      for (const [name, schema] of fields) {
        const v = value[name];
        if (v === undefined && !schema.optional)
          throw new SchemaError(join(path, name), `missing (${schema.expected})`);
        const parsed = schema.parse(v, join(path, name));
        if (parsed !== undefined) out[name] = parsed;
      }
      return out as InferShape<S>;
    },
  };
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function join(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}
