// Proves the cas-register model op by op (checkers/linearizability/model.ts): each step's exact result, the failures a
// malformed cas must give, JSON equality of values, the initial state of each model, and the words an explanation
// uses for every op and state.
import { describe, expect, it } from 'vitest';
import { casRegister, jsonEqual, type RegisterInput, registerModel } from '../linearizable.ts';

const read: RegisterInput = { f: 'read', value: null };
const write = (value: unknown): RegisterInput => ({ f: 'write', value });
const cas = (value: unknown): RegisterInput => ({ f: 'cas', value });

describe('jsonEqual', () => {
  it('is true for the same primitive and false for different ones, however alike they print', () => {
    expect(jsonEqual(1, 1)).toBe(true);
    expect(jsonEqual('a', 'a')).toBe(true);
    expect(jsonEqual(null, null)).toBe(true);
    expect(jsonEqual(1, 2)).toBe(false);
    expect(jsonEqual(1, '1')).toBe(false);
    expect(jsonEqual(null, 0)).toBe(false);
    expect(jsonEqual(undefined, null)).toBe(false);
  });

  it('compares arrays and objects by value, and never an object with null', () => {
    expect(jsonEqual([1, 2], [1, 2])).toBe(true);
    expect(jsonEqual({ a: [1] }, { a: [1] })).toBe(true);
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
    expect(jsonEqual({ a: 1 }, { a: 2 })).toBe(false);
    expect(jsonEqual(null, {})).toBe(false);
    expect(jsonEqual({}, null)).toBe(false);
    expect(jsonEqual([1], 1)).toBe(false);
  });

  it('does not take numbers JSON cannot hold for null (they print alike)', () => {
    expect(jsonEqual(Number.NaN, Number.NaN)).toBe(false);
    expect(jsonEqual(Number.POSITIVE_INFINITY, null)).toBe(false);
    expect(jsonEqual(null, Number.NaN)).toBe(false);
  });
});

describe('the cas register: steps', () => {
  it('starts at null (Jepsen), or at the value registerModel is given', () => {
    expect(casRegister.init()).toBeNull();
    expect(registerModel(7).init()).toBe(7);
    expect(registerModel(0).init()).toBe(0);
    // Everything else is the cas register's.
    expect(registerModel(7).step(7, read, 7)).toEqual({ ok: true, state: 7 });
    expect(registerModel(7).describe(read, 7)).toBe('read 7');
  });

  it('reads the value it holds, refuses any other, and lets a read of unseen result pass unchanged', () => {
    expect(casRegister.step(2, read, 2)).toEqual({ ok: true, state: 2 });
    expect(casRegister.step([1, 2], read, [1, 2])).toEqual({ ok: true, state: [1, 2] });
    expect(casRegister.step(2, read, 3)).toEqual({ ok: false });
    expect(casRegister.step(null, read, 0)).toEqual({ ok: false });
    expect(casRegister.step(2, read, undefined)).toEqual({ ok: true, state: 2 });
  });

  it('writes any value, whatever it held', () => {
    expect(casRegister.step(null, write(3), undefined)).toEqual({ ok: true, state: 3 });
    expect(casRegister.step(3, write('x'), 'ignored')).toEqual({ ok: true, state: 'x' });
  });

  it('swaps only from the value it holds, to the second of exactly two values', () => {
    expect(casRegister.step(1, cas([1, 2]), undefined)).toEqual({ ok: true, state: 2 });
    expect(casRegister.step(null, cas([null, 0]), undefined)).toEqual({ ok: true, state: 0 });
    expect(casRegister.step(3, cas([1, 2]), undefined)).toEqual({ ok: false });
    // Malformed: not a pair. A string of length 2 is not a pair either.
    expect(casRegister.step(1, cas([1]), undefined)).toEqual({ ok: false });
    expect(casRegister.step(1, cas([1, 2, 3]), undefined)).toEqual({ ok: false });
    expect(casRegister.step('a', cas('ab'), undefined)).toEqual({ ok: false });
    expect(casRegister.step(1, cas(1), undefined)).toEqual({ ok: false });
  });

  it('adds one to a number with incr, and refuses it on anything else', () => {
    const incr: RegisterInput = { f: 'incr', value: null };
    expect(casRegister.step(2, incr, undefined)).toEqual({ ok: true, state: 3 });
    expect(casRegister.step(0, incr, undefined)).toEqual({ ok: true, state: 1 });
    expect(casRegister.step(null, incr, undefined)).toEqual({ ok: false });
  });

  it('compares states as JSON values for the search cache', () => {
    expect(casRegister.equal?.([1], [1])).toBe(true);
    expect(casRegister.equal?.([1], [2])).toBe(false);
  });
});

describe('the cas register: words for explanations', () => {
  it('describes each op with its values, and ? for a value not seen', () => {
    expect(casRegister.describe(read, 1)).toBe('read 1');
    expect(casRegister.describe(read, null)).toBe('read null');
    expect(casRegister.describe(read, undefined)).toBe('read ?');
    expect(casRegister.describe(write('a'), undefined)).toBe('write "a"');
    expect(casRegister.describe(write(undefined), undefined)).toBe('write ?');
    expect(casRegister.describe(cas([1, 2]), undefined)).toBe('cas 1 -> 2');
    expect(casRegister.describe(cas([null, [3]]), undefined)).toBe('cas null -> [3]');
    expect(casRegister.describe(cas(5), undefined)).toBe('cas ? -> ?');
    expect(casRegister.describe({ f: 'incr', value: null }, undefined)).toBe('incr');
  });

  it('describes a state as JSON, and ? for none', () => {
    expect(casRegister.describeState?.(2)).toBe('2');
    expect(casRegister.describeState?.('2')).toBe('"2"');
    expect(casRegister.describeState?.(null)).toBe('null');
    expect(casRegister.describeState?.(undefined)).toBe('?');
  });
});
