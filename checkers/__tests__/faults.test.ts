// Proves the faults checker: a schedule whose final heal worked is valid and counts its windows, its failed starts and
// failed heals exactly (a failed heal inside the schedule is counted, not fatal); a final heal that failed, or none at
// all, is unknown with the reason and the op; client ops and invocations are not faults. Through compose, a schedule
// with no fault window is unknown: it examined nothing.
import { describe, expect, it } from 'vitest';
import type { HistoryOp } from '../../format/history.ts';
import { emptyObservations } from '../../format/observations.ts';
import { faults } from '../faults.ts';
import { compose } from '../result.ts';

/** Nemesis ops as the nemesis loop writes them: an invoke, then an info carrying the error when the step failed. */
function nemesis(steps: [f: string, error?: string][]): HistoryOp[] {
  const ops: HistoryOp[] = [];
  for (const [f, error] of steps) {
    ops.push({ index: ops.length, type: 'invoke', process: 'nemesis', f, value: {}, time: ops.length });
    ops.push({
      index: ops.length,
      type: 'info',
      process: 'nemesis',
      f,
      value: {},
      time: ops.length,
      ...(error !== undefined ? { error } : {}),
    });
  }
  return ops;
}

const check = (history: HistoryOp[]) => faults.check(history, emptyObservations(), {});

describe('faults', () => {
  it('is valid after a final heal that worked, counting windows, failed starts and failed heals', () => {
    const r = check(
      nemesis([
        ['start-partition'],
        ['stop-partition', 'remove toxic t1 from sm-1->redis: 404'],
        ['start-kill', 'sm-2 has exited'],
        ['stop-kill'],
        ['start-pause'],
        ['stop-pause'],
        ['final-heal'],
      ]),
    );
    expect(r.valid).toBe(true);
    expect(r.anomalies).toEqual([]);
    expect(r.stats).toEqual({
      windows: 3,
      startsFailed: 1,
      heals: 3,
      healsFailed: 1,
      finalHeal: 'ok',
      failures: ['stop-partition (op 3): remove toxic t1 from sm-1->redis: 404', 'start-kill (op 5): sm-2 has exited'],
    });
  });

  it('is unknown when the final heal failed, naming the op and the error', () => {
    const r = check(nemesis([['start-pause'], ['stop-pause'], ['final-heal', 'resume gateway: ESRCH']]));
    expect(r.valid).toBe('unknown');
    expect(r.anomalies).toEqual([]);
    expect(r.error).toBe('the final heal failed (op 5): resume gateway: ESRCH');
    expect(r.stats).toMatchObject({
      windows: 1,
      finalHeal: 'failed',
      failures: ['final-heal (op 5): resume gateway: ESRCH'],
    });
  });

  it('is unknown when there is no final heal', () => {
    const r = check(nemesis([['start-pause'], ['stop-pause']]));
    expect(r.valid).toBe('unknown');
    expect(r.anomalies).toEqual([]);
    expect(r.error).toBe('the history has no final heal: the run stopped before its schedule ended, or had none');
    expect(r.stats).toMatchObject({ windows: 1, finalHeal: 'missing' });
  });

  it('takes an empty error for no error, and counts neither client ops, invocations nor other nemesis ops', () => {
    const history = nemesis([['start-kill', ''], ['stop-kill'], ['restart-redis', 'refused'], ['final-heal', '']]);
    history.push(
      { index: 8, type: 'invoke', process: 0, f: 'start-x', value: {}, time: 8 },
      { index: 9, type: 'info', process: 0, f: 'start-x', value: {}, time: 9, error: 'timeout' },
    );
    const r = check(history);
    expect(r.valid).toBe(true);
    expect(r.stats).toMatchObject({
      windows: 1,
      startsFailed: 0,
      heals: 1,
      healsFailed: 0,
      finalHeal: 'ok',
      failures: ['restart-redis (op 5): refused'],
    });
  });

  it('through compose, a final heal with no fault window before it examined nothing', () => {
    const r = compose([faults]).check(nemesis([['final-heal']]), emptyObservations(), {});
    expect(r.results.faults).toMatchObject({ valid: 'unknown', error: 'examined nothing: 0 windows' });
  });
});
