// Proves the checker protocol: compose merges false over unknown over true and keeps each result; checkSafe turns an
// exception into unknown carrying the error; the anomaly log caps the list but counts everything.
import { describe, expect, it } from 'vitest';
import { emptyObservations } from '../../format/observations.ts';
import { AnomalyLog, type Checker, checkSafe, compose, coverageText, mergeValidity, type Validity } from '../result.ts';

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
});
