// Proves the linearizability of sessions as registers of their revision (docs/api.md): a session starts at the
// revision its creation answered and only ops invoked after that answer are judged; a read is a read of the revision;
// a committed change with If-Match is a cas from it, without one a cas from the answered revision less one; a failed
// change did nothing; a change of unknown outcome may happen at any time after its call (with If-Match a cas to the
// next revision, without an increment); an unknown read is dropped. A valid racing history passes; a CAS that does not
// compare, a lost update and a stale read are each caught, naming the op; what it judged is counted by source.
import { describe, expect, it } from 'vitest';
import type { HistoryOp } from '../../format/history.ts';
import { casRegister, linearizable, sessionPartitions } from '../linearizable.ts';
import { checkSafe } from '../result.ts';
import { observations, ops, run } from './fixtures.ts';

type Op = Parameters<typeof ops>[0];
const at = (type: Op['type'], process: number, f: string, value: unknown): Op => ({ type, process, f, value });

const S = 'ses-1';
const create = (p: number): Op =>
  at('invoke', p, 'create-session', {
    requestId: `c${p}`,
    subscriberId: 'imsi-1',
    trafficClass: 'data',
    protocol: '2pc',
  });
const created = (p: number, sessionId = S, revision = 1): Op =>
  at('ok', p, 'create-session', { sessionId, txnId: 't0', outcome: 'committed', kind: 'create', revision });
const read = (p: number, sessionId = S): Op => at('invoke', p, 'read-session', { sessionId });
const readOk = (p: number, revision: number, sessionId = S): Op =>
  at('ok', p, 'read-session', {
    sessionId,
    revision,
    status: 'COMMITTED',
    trafficClass: 'data',
    cells: [],
    txnId: 't',
  });
const modify = (p: number, ifMatch?: number): Op =>
  at('invoke', p, 'modify-session', {
    requestId: `m${p}`,
    sessionId: S,
    trafficClass: 'video',
    ...(ifMatch === undefined ? {} : { ifMatch }),
  });
const release = (p: number, ifMatch?: number): Op =>
  at('invoke', p, 'release-session', {
    requestId: `d${p}`,
    sessionId: S,
    ...(ifMatch === undefined ? {} : { ifMatch }),
  });
const committed = (p: number, f: string, revision: number): Op =>
  at('ok', p, f, { sessionId: S, txnId: `t${revision}`, outcome: 'committed', kind: f.split('-')[0], revision });
const refused = (p: number, f: string, revision: number): Op => ({
  ...at('fail', p, f, { status: 412, code: 'precondition_failed', sessionId: S, revision }),
  error: 'precondition_failed',
});
const unknown = (p: number, f: string): Op => ({ ...at('info', p, f, { status: 504 }), error: 'unknown_outcome' });

const verdict = (history: HistoryOp[]) => run(linearizable, history);

describe('sessions as registers: valid histories', () => {
  it('passes clients racing on one session with conditional and unconditional writes, reads and a release', () => {
    const history = ops(
      create(0),
      created(0),
      // Clients 1 and 2 race from revision 1: one commits, the other is refused; client 3 reads across both.
      modify(1, 1),
      modify(2, 1),
      read(3),
      committed(1, 'modify-session', 2),
      readOk(3, 1),
      refused(2, 'modify-session', 2),
      // An unconditional change applies to whatever is current.
      modify(2),
      read(3),
      committed(2, 'modify-session', 3),
      readOk(3, 3),
      release(1, 3),
      committed(1, 'release-session', 4),
      read(0),
      readOk(0, 4),
    );
    const r = verdict(history);
    expect(r.anomalies).toEqual([]);
    expect(r.valid).toBe(true);
    // Three reads and three committed changes; the refused modify did nothing and the create is the initial value.
    expect(r.stats).toMatchObject({ keys: 1, ops: 6, bySource: { sessions: { keys: 1, ops: 6 } } });
  });

  it('keeps sessions apart, each starting at the revision its creation answered', () => {
    const history = ops(
      create(0),
      created(0, 'ses-a'),
      create(1),
      created(1, 'ses-b', 3),
      read(0, 'ses-a'),
      readOk(0, 1, 'ses-a'),
      read(1, 'ses-b'),
      readOk(1, 3, 'ses-b'),
    );
    expect(sessionPartitions(history).map((p) => [p.key, p.initial, p.ops.length])).toEqual([
      ['session:ses-a', 1, 1],
      ['session:ses-b', 3, 1],
    ]);
    expect(verdict(history).valid).toBe(true);
  });

  it('judges nothing invoked before the creation answered, nor ops on a session never seen created', () => {
    const history = ops(
      create(0),
      read(1),
      at('ok', 1, 'read-session', { sessionId: S, revision: 0, status: 'PENDING' }),
      created(0),
      read(2, 'ses-other'),
      readOk(2, 7, 'ses-other'),
    );
    expect(sessionPartitions(history)).toEqual([]);
  });
});

describe('sessions as registers: anomalies', () => {
  it('catches a CAS that does not compare: two changes committed from the same If-Match', () => {
    const history = ops(
      create(0),
      created(0),
      modify(1, 1),
      committed(1, 'modify-session', 2),
      modify(2, 1),
      committed(2, 'modify-session', 3),
    );
    const r = verdict(history);
    expect(r.valid).toBe(false);
    expect(r.anomalies.map((a) => [a.type, a.key, a.ops])).toEqual([['not-linearizable', `session:${S}`, [4, 5]]]);
    expect(r.anomalies[0]!.explanation).toBe(
      'cas 1 -> 3 (ops 4-5) cannot be linearized after the longest linearizable prefix (cas 1 -> 2 (ops 2-3)): ' +
        'the register holds 2',
    );
    // Concurrent, the same pair is still caught: only one of them can have found revision 1.
    const racing = ops(
      create(0),
      created(0),
      modify(1, 1),
      modify(2, 1),
      committed(1, 'modify-session', 2),
      committed(2, 'modify-session', 2),
    );
    expect(verdict(racing).valid).toBe(false);
  });

  it('catches a lost update: an unconditional change that answered a revision another change had', () => {
    const history = ops(
      create(0),
      created(0),
      modify(1),
      modify(2),
      committed(1, 'modify-session', 2),
      committed(2, 'modify-session', 2),
    );
    expect(verdict(history).valid).toBe(false);
  });

  it('catches a stale read after a committed change, and passes its twin that overlaps the change', () => {
    const stale = ops(create(0), created(0), modify(1, 1), committed(1, 'modify-session', 2), read(2), readOk(2, 1));
    const r = verdict(stale);
    expect(r.valid).toBe(false);
    expect(r.anomalies[0]).toMatchObject({ key: `session:${S}`, ops: [4, 5], details: { state: 2 } });
    expect(r.anomalies[0]!.explanation).toContain('read 1 (ops 4-5) cannot be linearized');
    const overlapping = ops(
      create(0),
      created(0),
      modify(1, 1),
      read(2),
      readOk(2, 1),
      committed(1, 'modify-session', 2),
    );
    expect(verdict(overlapping).valid).toBe(true);
  });
});

describe('sessions as registers: unknown and failed outcomes', () => {
  it('lets a conditional change of unknown outcome happen later, or never, but only from its revision', () => {
    const base = [create(0), created(0), modify(1, 1), unknown(1, 'modify-session')];
    // Seen later (revision 2), or never (still 1): both are possible.
    expect(verdict(ops(...base, read(2), readOk(2, 2))).valid).toBe(true);
    expect(verdict(ops(...base, read(2), readOk(2, 1), read(2), readOk(2, 2))).valid).toBe(true);
    // It adds one at most: revision 3 with nothing else in flight cannot be.
    expect(verdict(ops(...base, read(2), readOk(2, 3))).valid).toBe(false);
    // From revision 1 only: after another change made it 2, it cannot apply, so a read of 3 is impossible.
    const late = ops(...base, modify(2), committed(2, 'modify-session', 2), read(3), readOk(3, 3));
    expect(verdict(late).valid).toBe(false);
  });

  it('lets an unconditional change of unknown outcome add one to whatever revision is there, at most once', () => {
    const base = [create(0), created(0), modify(1), unknown(1, 'modify-session')];
    const after = ops(...base, modify(2, 1), committed(2, 'modify-session', 2), read(3), readOk(3, 3));
    expect(verdict(after).valid).toBe(true);
    expect(verdict(ops(...base, read(3), readOk(3, 3))).valid).toBe(false);
    // A change never answered (the run ended first) is unknown too.
    const open = ops(create(0), created(0), release(1), read(2), readOk(2, 2));
    expect(verdict(open).valid).toBe(true);
  });

  it('drops failed changes and unknown reads: a refused change did nothing', () => {
    const history = ops(
      create(0),
      created(0),
      modify(1, 5),
      refused(1, 'modify-session', 1),
      release(2),
      {
        ...at('fail', 2, 'release-session', { status: 409, code: 'not_active', reason: 'change-in-flight' }),
        error: 'not_active',
      },
      read(3),
      unknown(3, 'read-session'),
      read(4),
      readOk(4, 1),
    );
    const r = verdict(history);
    expect(r.valid).toBe(true);
    expect(r.stats).toMatchObject({ keys: 1, ops: 1 });
  });

  it('judges a committed change whose answer lacked a revision as a change that happened', () => {
    const noRevision = (p: number) => at('ok', p, 'modify-session', { sessionId: S, txnId: 't', outcome: 'committed' });
    expect(verdict(ops(create(0), created(0), modify(1, 1), noRevision(1), read(2), readOk(2, 2))).valid).toBe(true);
    expect(verdict(ops(create(0), created(0), modify(1), noRevision(1), read(2), readOk(2, 1))).valid).toBe(false);
  });

  it('is unknown, having examined nothing, when every op on a session failed', () => {
    const history = ops(create(0), created(0), modify(1, 3), refused(1, 'modify-session', 1));
    expect(checkSafe(linearizable).check(history, observations({}), {})).toMatchObject({
      valid: 'unknown',
      error: 'examined nothing: 0 keys, 0 ops',
    });
  });
});

describe('the register model: incr', () => {
  it('adds one to a number, refuses anything else, and describes itself', () => {
    const incr = { f: 'incr' as const, value: null };
    expect(casRegister.step(2, incr, undefined)).toEqual({ ok: true, state: 3 });
    expect(casRegister.step(null, incr, undefined)).toEqual({ ok: false });
    expect(casRegister.step('2', incr, undefined)).toEqual({ ok: false });
    expect(casRegister.describe(incr, undefined)).toBe('incr');
  });
});
