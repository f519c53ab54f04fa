// Request validation: good bodies parse, every bad field is named in one 400, ids that would need quoting in a
// PREPARE TRANSACTION gid are refused, and decision replies are checked before they are acted on.
import { describe, expect, it } from 'vitest';
import { cellsPerRequestMax } from '../../common/contract.ts';
import { parseDecision, parsePrepare, parseTokenBody, parseTxnId } from '../contract.ts';
import { voteReasonFor } from '../errors.ts';

const good = {
  token: 3,
  sessionId: 'sess-1',
  protocol: '2pc',
  subscriberId: 'imsi-001010000000001',
  kind: 'create',
  cells: ['cell-1', 'cell-2'],
  amount: 10,
};

describe('contract', () => {
  it('parses a good prepare body', () => {
    expect(parsePrepare(good)).toEqual(good);
    expect(parsePrepare({ ...good, extra: true }).token).toBe(3);
  });

  it('names every bad field in one 400', () => {
    let caught: unknown;
    try {
      parsePrepare({ token: 0, sessionId: '', protocol: '4pc', subscriberId: 7, cells: ['a b'], amount: 1.5 });
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ code: 'bad_request', status: 400 });
    const fields = (caught as { details: { fields: string[] } }).details.fields.map((f) => f.split(':')[0]);
    expect(fields).toEqual(['token', 'sessionId', 'protocol', 'subscriberId', 'kind', 'cells', 'amount', 'release']);
    expect(() => parsePrepare([good])).toThrow('body must be a JSON object');
    const tooMany = Array.from({ length: cellsPerRequestMax + 1 }, (_, i) => `cell-${i}`);
    expect(() => parsePrepare({ ...good, cells: tooMany })).toThrow('cells');
  });

  it('takes what a modify or release gives back, and refuses it on a create', () => {
    const release = { cells: ['cell-3'], amount: 20 };
    expect(parsePrepare({ ...good, kind: 'modify', release })).toEqual({ ...good, kind: 'modify', release });
    expect(parsePrepare({ ...good, kind: 'release', cells: [], amount: 0, release }).release).toEqual(release);
    expect(() => parsePrepare({ ...good, kind: 'release', cells: [], amount: 0 })).toThrow('release: must be');
    expect(() => parsePrepare({ ...good, release })).toThrow('release: must be absent for create');
    expect(() => parsePrepare({ ...good, kind: 'modify', release: { cells: ['a b'], amount: -1 } })).toThrow(
      'release.cells',
    );
  });

  it('refuses txn ids that would need quoting or are too long', () => {
    expect(parseTxnId('txn-1.a:b_c')).toBe('txn-1.a:b_c');
    for (const bad of ["t'1", 't 1', '', 'x'.repeat(129), undefined]) expect(() => parseTxnId(bad)).toThrow();
  });

  it('needs a positive whole token', () => {
    expect(parseTokenBody({ token: 9 })).toEqual({ token: 9 });
    for (const token of [0, -1, 1.5, '3', null]) expect(() => parseTokenBody({ token })).toThrow('token');
  });

  it('accepts only well-formed decision replies', () => {
    expect(parseDecision({ decision: 'commit', token: 4 })).toEqual({ decision: 'commit', token: 4 });
    expect(parseDecision({ decision: 'undecided' })).toEqual({ decision: 'undecided' });
    expect(parseDecision({ decision: 'abort' })).toBeUndefined();
    expect(parseDecision({ decision: 'maybe', token: 4 })).toBeUndefined();
    expect(parseDecision('commit')).toBeUndefined();
  });

  it('turns lock timeouts and deadlocks into no votes, and nothing else', () => {
    expect(voteReasonFor({ code: '55P03' })).toBe('lock_timeout');
    expect(voteReasonFor({ code: '40P01' })).toBe('deadlock');
    expect(voteReasonFor({ code: '23505' })).toBeUndefined();
    expect(voteReasonFor(new Error('x'))).toBeUndefined();
  });
});
