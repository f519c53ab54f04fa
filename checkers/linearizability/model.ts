// A linearizability model is a plain record of pure functions (Porcupine's shape): the search calls `step` on every
// candidate order, so `step` must not mutate its arguments.

export type StepResult<S> = { ok: true; state: S } | { ok: false };

export interface Model<S, I, O> {
  init(): S;
  /** Applies an op; `output` is undefined when the outcome is unknown (`info`): the op happened, its result unseen. */
  step(state: S, input: I, output: O | undefined): StepResult<S>;
  /** State equality for the search's cache; default `===`. */
  equal?(a: S, b: S): boolean;
  /** One op, for explanations: "cas 1 -> 2". */
  describe(input: I, output: O | undefined): string;
  describeState?(state: S): string;
}

export interface RegisterInput {
  /** `incr`: one more than whatever number the register holds (a session change of unknown outcome, unconditional). */
  f: 'read' | 'write' | 'cas' | 'incr';
  /** write: the value; cas: [from, to]; read, incr: ignored. */
  value: unknown;
}

/** JSON value equality: registers hold numbers and strings in practice, so the fast path is `===`. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

const show = (v: unknown) => (v === undefined ? '?' : JSON.stringify(v));

/** A compare-and-swap register holding `initial` until the first write. */
export function registerModel(initial: unknown): Model<unknown, RegisterInput, unknown> {
  return { ...casRegister, init: () => initial };
}

/** Jepsen's cas-register: nil (null) until the first write. */
export const casRegister: Model<unknown, RegisterInput, unknown> = {
  init: () => null,
  step(state, input, output) {
    switch (input.f) {
      case 'read':
        return output === undefined || jsonEqual(state, output) ? { ok: true, state } : { ok: false };
      case 'write':
        return { ok: true, state: input.value };
      case 'cas': {
        const pair = input.value;
        if (!Array.isArray(pair) || pair.length !== 2) return { ok: false };
        return jsonEqual(state, pair[0]) ? { ok: true, state: pair[1] } : { ok: false };
      }
      case 'incr':
        return typeof state === 'number' ? { ok: true, state: state + 1 } : { ok: false };
    }
  },
  equal: jsonEqual,
  describe(input, output) {
    if (input.f === 'read') return `read ${show(output)}`;
    if (input.f === 'write') return `write ${show(input.value)}`;
    if (input.f === 'incr') return 'incr';
    const pair = Array.isArray(input.value) ? input.value : [];
    return `cas ${show(pair[0])} -> ${show(pair[1])}`;
  },
  describeState: (state) => show(state),
};
