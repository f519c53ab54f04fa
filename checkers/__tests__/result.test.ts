// Proves the checker protocol: compose merges false over unknown over true and keeps each result; checkSafe turns an
// exception into unknown carrying the error; the anomaly log caps the list but counts everything.
import { describe, expect, it } from 'vitest';
import { emptyObservations } from '../../format/observations.ts';
import {
  AnomalyLog,
  anomalyLog,
  type Checker,
  checkSafe,
  compose,
  coverageText,
  mergeValidity,
  type Validity,
} from '../result.ts';

const fixed = (name: string, valid: Validity, n = 1): Checker => ({
  name,
  coverage: ['n'],
  check: () => ({
    valid,
    anomalies: valid === false ? [{ type: 'x', key: 'k', ops: [1], explanation: 'bad' }] : [],
    stats: { n },
  }),
});
const throwing: Checker = {
  name: 'boom',
  coverage: [],
  check() {
    throw new RangeError('out of range');
  },
};

describe('checker protocol', () => {
  it('merges false over unknown over true', () => {
    expect(mergeValidity([])).toBe(true);
    expect(mergeValidity([true, 'unknown', true])).toBe('unknown');
    expect(mergeValidity(['unknown', false, true])).toBe(false);
  });

  it('composes checkers, tagging anomalies and keeping every result', () => {
    const r = compose([fixed('a', true), fixed('b', false), fixed('c', 'unknown')]).check([], emptyObservations(), {});
    expect(r.valid).toBe(false);
    expect(r.anomalies).toEqual([{ type: 'x', key: 'k', ops: [1], explanation: 'bad', checker: 'b' }]);
    expect(Object.keys(r.results)).toEqual(['a', 'b', 'c']);
    expect(r.stats).toEqual({ a: { n: 1 }, b: { n: 1 }, c: { n: 1 } });
  });

  it('needs evidence: a valid verdict on nothing examined is unknown, saying so; invalid stays invalid', () => {
    const r = compose([fixed('none', true, 0), fixed('some', true, 3), fixed('bad', false, 0)]).check(
      [],
      emptyObservations(),
      {},
    );
    expect(r.results.none).toMatchObject({ valid: 'unknown', error: 'examined nothing: 0 n', coverage: { n: 0 } });
    expect(r.results.some).toMatchObject({ valid: true, coverage: { n: 3 } });
    expect(r.results.bad!.valid).toBe(false);
    expect(r.valid).toBe(false);
    expect(coverageText({ keys: 1, ops: 6130, leaderRecords: 2 })).toBe('1 key, 6,130 ops, 2 leader records');
    expect(coverageText({ sessions: 1, leaderRecords: 1 })).toBe('1 session, 1 leader record');
    expect(coverageText({ decisionQueries: 1, recoveries: 2 })).toBe('1 decision query, 2 recoveries');
    // A coverage figure the checker did not report counts as 0: it examined nothing there.
    const silent: Checker = {
      name: 'silent',
      coverage: ['n'],
      check: () => ({ valid: true, anomalies: [], stats: { n: 'x' } }),
    };
    expect(checkSafe(silent).check([], emptyObservations(), {})).toMatchObject({
      valid: 'unknown',
      coverage: { n: 0 },
      error: 'examined nothing: 0 n',
    });
  });

  it('turns an exception into unknown with the error, also inside compose', () => {
    expect(checkSafe(throwing).check([], emptyObservations(), {})).toEqual({
      valid: 'unknown',
      anomalies: [],
      stats: {},
      error: 'RangeError: out of range',
    });
    expect(compose([fixed('a', true), throwing]).check([], emptyObservations(), {}).valid).toBe('unknown');
  });

  it('lists at most the cap but counts all anomalies by type', () => {
    const log = new AnomalyLog(2);
    for (let i = 0; i < 5; i++) log.add('t', String(i), [], 'e');
    const r = log.result({});
    expect(r.anomalies).toHaveLength(2);
    expect(r.stats).toEqual({ anomalies: { t: 5 } });
    expect(r.valid).toBe(false);
  });
  describe('the edges (issue 30)', () => {
    it('keeps true when every part is true, and unknown when no part is false', () => {
      expect(mergeValidity([true, true])).toBe(true);
      expect(mergeValidity(['unknown', true])).toBe('unknown');
      expect(mergeValidity([true, false, 'unknown'])).toBe(false);
    });

    it('is valid when any one coverage figure is above zero', () => {
      const partly: Checker = {
        name: 'partly',
        coverage: ['keys', 'ops'],
        check: () => ({ valid: true, anomalies: [], stats: { keys: 0, ops: 2 } }),
      };
      expect(checkSafe(partly).check([], emptyObservations(), {})).toStrictEqual({
        valid: true,
        anomalies: [],
        stats: { keys: 0, ops: 2 },
        coverage: { keys: 0, ops: 2 },
      });
      // An unknown result with nothing examined keeps its own error.
      const unsure: Checker = {
        name: 'unsure',
        coverage: ['n'],
        check: () => ({ valid: 'unknown', anomalies: [], stats: { n: 0 }, error: 'no log' }),
      };
      expect(checkSafe(unsure).check([], emptyObservations(), {})).toMatchObject({ valid: 'unknown', error: 'no log' });
    });

    it('keeps the name and coverage of the checker it makes safe; compose joins the names and covers nothing itself', () => {
      const safe = checkSafe(fixed('a', true));
      expect([safe.name, safe.coverage]).toEqual(['a', ['n']]);
      const both = compose([fixed('a', true), fixed('b', true)]);
      expect([both.name, both.coverage]).toEqual(['a+b', []]);
    });

    it('turns a thrown value that is no Error into unknown carrying it as text', () => {
      const odd: Checker = {
        name: 'odd',
        coverage: [],
        check() {
          throw 'no history';
        },
      };
      expect(checkSafe(odd).check([], emptyObservations(), {})).toMatchObject({
        valid: 'unknown',
        error: 'no history',
      });
    });

    it('words each coverage figure: singular only for exactly 1, with thousands separated', () => {
      expect(coverageText({ txnIds: 0, keys: 2, decisionQueries: 1234567 })).toBe(
        '0 txn ids, 2 keys, 1,234,567 decision queries',
      );
      expect(coverageText({ keys: 1, sessions: 1, recoveries: 1 })).toBe('1 key, 1 session, 1 recovery');
      expect(coverageText({})).toBe('');
    });

    it('keeps each anomaly as given: its own copy of the ops, details only when there are some', () => {
      const log = anomalyLog({ anomaliesMax: 2 });
      const cited = [3, 1];
      log.add('a', 'k1', cited, 'first', { token: 2 });
      log.add('b', 'k2', [], 'second');
      log.add('a', 'k3', [9], 'third');
      cited.push(7);
      expect(log.size).toBe(3);
      const r = log.result({ keys: 3 });
      expect(r).toStrictEqual({
        valid: false,
        anomalies: [
          { type: 'a', key: 'k1', ops: [3, 1], explanation: 'first', details: { token: 2 } },
          { type: 'b', key: 'k2', ops: [], explanation: 'second' },
        ],
        stats: { keys: 3, anomalies: { a: 2, b: 1 } },
      });
    });

    it('lists up to 1000 anomalies unless told otherwise, and an empty log is valid', () => {
      const log = anomalyLog({});
      for (let i = 0; i < 1001; i++) log.add('t', String(i), [i], 'e');
      expect(log.list).toHaveLength(1000);
      expect(log.size).toBe(1001);
      const none = new AnomalyLog();
      expect(none.size).toBe(0);
      expect(none.result({})).toStrictEqual({ valid: true, anomalies: [], stats: { anomalies: {} } });
      const capped = new AnomalyLog(0);
      capped.add('t', 'k', [], 'e');
      expect([capped.list, capped.result({}).valid]).toEqual([[], false]);
    });
  });
});
