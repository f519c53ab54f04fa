// Proves the stats checker: op counts per f and type, latency quantiles per protocol and traffic class from the
// invocation-to-completion times (per f for ops on sessions), failures per f by code (a 412 is visible as
// precondition_failed), aborts by the reason the client was given and the reason logged.
import { describe, expect, it } from 'vitest';
import type { HistoryOp } from '../../format/history.ts';
import { checkSafe } from '../result.ts';
import { stats } from '../stats.ts';
import { failCreate, infoCreate, invokeCreate, observations, okCreate, ops, run, txn } from './fixtures.ts';

/** One client op of process `p`: its invocation at `fromMs` and its completion (`type`, `value`, `error`) at `toMs`. */
function pair(
  p: number,
  f: string,
  asked: unknown,
  fromMs: number,
  toMs: number,
  type: 'ok' | 'fail' | 'info',
  value: unknown,
  error?: string,
): Omit<HistoryOp, 'index'>[] {
  return [
    { type: 'invoke', process: p, f, value: asked, time: fromMs * 1e6 },
    { type, process: p, f, value, time: toMs * 1e6, ...(error === undefined ? {} : { error }) },
  ];
}

/** The ops of several `pair`s, in time order (stable: at one instant, in the order given). */
const timed = (...specs: Omit<HistoryOp, 'index'>[]) => ops(...[...specs].sort((a, b) => a.time - b.time));

describe('stats', () => {
  it('counts, measures and groups', () => {
    const video = { requestId: 'r2', trafficClass: 'video', protocol: '3pc' };
    const history = ops(
      { ...invokeCreate(0), time: 0 },
      { ...invokeCreate(1, video), time: 0 },
      { ...okCreate(0), time: 2_000_000 },
      { ...failCreate(1), time: 5_000_000 },
      { ...invokeCreate(0), time: 6_000_000 },
      { ...infoCreate(0), time: 16_000_000 },
    );
    const r = run(stats, history, observations({ txn: [txn({ state: 'aborted', reason: 'deadlock' })] }));
    expect(r.valid).toBe(true);
    expect(r.stats.ops).toEqual({ 'create-session': { invoke: 3, ok: 1, fail: 1, info: 1 } });
    const latency = r.stats.latency as Record<string, { count: number; p50Ms: number; maxMs: number; info: number }>;
    expect(Object.keys(latency)).toEqual(['2pc/voice', '3pc/video']);
    // hdr-histogram keeps 3 significant digits, so quantiles are within 0.1% of the recorded values.
    expect(latency['3pc/video']).toMatchObject({ count: 1 });
    expect(latency['3pc/video']!.p50Ms).toBeCloseTo(5, 1);
    expect(latency['2pc/voice']).toMatchObject({ count: 2, info: 1 });
    expect(latency['2pc/voice']!.p50Ms).toBeCloseTo(2, 1);
    expect(latency['2pc/voice']!.maxMs).toBeCloseTo(10, 1);
    expect(r.stats.abortsByReason).toEqual({ 'no-capacity': 1 });
    expect(r.stats.loggedAbortsByReason).toEqual({ deadlock: 1 });
  });

  it('counts and measures reads, modifies and releases per f, and their failures by code', () => {
    const on = { sessionId: 's1' };
    const history = ops(
      { type: 'invoke', process: 0, f: 'read-session', value: on, time: 0 },
      { type: 'ok', process: 0, f: 'read-session', value: { ...on, revision: 1 }, time: 1_000_000 },
      {
        type: 'invoke',
        process: 0,
        f: 'modify-session',
        value: { ...on, requestId: 'r1', ifMatch: 1 },
        time: 2_000_000,
      },
      { type: 'ok', process: 0, f: 'modify-session', value: { ...on, revision: 2 }, time: 5_000_000 },
      {
        type: 'invoke',
        process: 1,
        f: 'modify-session',
        value: { ...on, requestId: 'r2', ifMatch: 1 },
        time: 6_000_000,
      },
      {
        type: 'fail',
        process: 1,
        f: 'modify-session',
        value: { status: 412, code: 'precondition_failed', ...on, revision: 2 },
        error: 'precondition_failed',
        time: 7_000_000,
      },
      { type: 'invoke', process: 1, f: 'release-session', value: { ...on, requestId: 'r3' }, time: 8_000_000 },
      {
        type: 'fail',
        process: 1,
        f: 'release-session',
        value: { status: 409, code: 'not_active', ...on, reason: 'change-in-flight', revision: 2 },
        error: 'not_active',
        time: 9_000_000,
      },
      { type: 'invoke', process: 1, f: 'release-session', value: { ...on, requestId: 'r4' }, time: 10_000_000 },
      {
        type: 'info',
        process: 1,
        f: 'release-session',
        value: { status: 504 },
        error: 'unknown_outcome',
        time: 11_000_000,
      },
      { type: 'invoke', process: 2, f: 'read-session', value: on, time: 12_000_000 },
      {
        type: 'fail',
        process: 2,
        f: 'read-session',
        value: { reason: 'ECONNREFUSED' },
        error: 'ECONNREFUSED',
        time: 13_000_000,
      },
    );
    const r = run(stats, history);
    expect(r.stats.ops).toEqual({
      'read-session': { invoke: 2, ok: 1, fail: 1 },
      'modify-session': { invoke: 2, ok: 1, fail: 1 },
      'release-session': { invoke: 2, fail: 1, info: 1 },
    });
    const latency = r.stats.latency as Record<
      string,
      { count: number; ok: number; fail: number; info: number; maxMs: number }
    >;
    expect(Object.keys(latency)).toEqual(['modify-session', 'read-session', 'release-session']);
    expect(latency['modify-session']).toMatchObject({ count: 2, ok: 1, fail: 1 });
    expect(latency['modify-session']!.maxMs).toBeCloseTo(3, 1);
    expect(latency['release-session']).toMatchObject({ count: 2, fail: 1, info: 1 });
    expect(r.stats.failsByCode).toEqual({
      'modify-session': { precondition_failed: 1 },
      'release-session': { not_active: 1 },
      'read-session': { ECONNREFUSED: 1 },
    });
    // Aborts by reason stay the creates' (a participant's vote), as before.
    expect(r.stats.abortsByReason).toEqual({});
  });
  it('names each abort by the reason given, else the error, else "unknown"; only failed creates are aborts', () => {
    const create = { requestId: 'r', protocol: '2pc', trafficClass: 'voice' };
    const history = timed(
      // Aborts: by the outcome, or by the 409 alone.
      ...pair(0, 'create-session', create, 0, 1, 'fail', { outcome: 'aborted', reason: 'deadlock' }),
      ...pair(1, 'create-session', create, 0, 1, 'fail', { status: 409, reason: 'no-capacity' }),
      ...pair(2, 'create-session', create, 0, 1, 'fail', { status: 409 }, 'aborted'),
      ...pair(3, 'create-session', create, 0, 1, 'fail', { outcome: 'aborted' }),
      // Not aborts: another failure, a 409 that is no failure, a 409 of another op.
      ...pair(4, 'create-session', create, 0, 1, 'fail', { status: 503, code: 'unavailable' }),
      ...pair(5, 'create-session', create, 0, 1, 'info', { status: 409, reason: 'late' }, 'timeout'),
      ...pair(6, 'release-session', { sessionId: 's1' }, 0, 1, 'fail', { status: 409, reason: 'busy' }, 'not_active'),
    );
    const r = run(stats, history);
    expect(r.stats.abortsByReason).toEqual({ deadlock: 1, 'no-capacity': 1, aborted: 1, unknown: 1 });
    expect(r.stats.failsByCode).toEqual({
      'create-session': { unknown: 2, 'http 409': 1, aborted: 1, unavailable: 1 },
      'release-session': { not_active: 1 },
    });
  });

  it("names a failure by the gateway's code over the client's error, else the error, else the status, else unknown", () => {
    const on = { sessionId: 's1' };
    const history = timed(
      ...pair(0, 'read-session', on, 0, 1, 'fail', { status: 404, code: 'not_found' }, 'http_error'),
      ...pair(1, 'read-session', on, 0, 1, 'fail', { status: 404 }, 'http_error'),
      ...pair(2, 'read-session', on, 0, 1, 'fail', { status: 503 }),
      ...pair(3, 'read-session', on, 0, 1, 'fail', null),
      ...pair(4, 'read-session', on, 0, 1, 'fail', { status: 503 }),
      // A failed fault step is not a client failure.
      { type: 'invoke', process: 'nemesis', f: 'start-pause', value: {}, time: 0 },
      { type: 'fail', process: 'nemesis', f: 'start-pause', value: { status: 500 }, error: 'refused', time: 1e6 },
    );
    const r = run(stats, history);
    expect(r.stats.failsByCode).toEqual({
      'read-session': { not_found: 1, http_error: 1, 'http 503': 2, unknown: 1 },
    });
    expect(r.stats.abortsByReason).toEqual({});
    expect(r.stats.completions).toBe(6);
    expect(r.stats.ops).toEqual({
      'read-session': { invoke: 5, fail: 5 },
      'start-pause': { invoke: 1, fail: 1 },
    });
  });

  it('gives every latency figure of a group exactly, from invocation to completion', () => {
    // Eleven reads taking 0 (recorded as 1 us), 1, 2, ... 10 ms; hdr-histogram keeps 3 significant digits.
    const on = { sessionId: 's1' };
    const history = timed(
      ...Array.from({ length: 11 }, (_, i) =>
        pair(i, 'read-session', on, 100 + i, 100 + 2 * i, i === 10 ? 'info' : i === 9 ? 'fail' : 'ok', on),
      ).flat(),
    );
    const r = run(stats, history);
    expect(r.stats.latency).toEqual({
      'read-session': {
        count: 11,
        ok: 9,
        fail: 1,
        info: 1,
        p50Ms: 5.003,
        p90Ms: 9.007,
        p99Ms: 10.007,
        p999Ms: 10.007,
        maxMs: 10,
      },
    });
  });

  it('groups creates by protocol and traffic class ("?" for one not given), and clamps a latency at an hour', () => {
    const history = timed(
      ...pair(0, 'create-session', { requestId: 'r1' }, 0, 2, 'ok', { sessionId: 's1' }),
      ...pair(1, 'create-session', { requestId: 'r2', protocol: '3pc' }, 0, 3, 'ok', { sessionId: 's2' }),
      ...pair(2, 'create-session', { requestId: 'r3', trafficClass: 'data' }, 0, 2 * 3_600_000, 'info', null, 'x'),
    );
    const r = run(stats, history);
    const latency = r.stats.latency as Record<string, { count: number; maxMs: number }>;
    expect(Object.keys(latency)).toEqual(['?/?', '?/data', '3pc/?']);
    expect(latency['?/?']).toMatchObject({ count: 1, maxMs: 2 });
    expect(latency['3pc/?']).toMatchObject({ count: 1, maxMs: 3 });
    expect(latency['?/data']).toMatchObject({ count: 1, info: 1, maxMs: 3_600_000 });
  });

  it('counts aborts the log holds by reason ("unknown" when none is logged), not its commits', () => {
    const obs = observations({
      txn: [
        txn({ state: 'aborted', reason: 'vote-no' }),
        txn({ txnId: 't2', state: 'aborted' }),
        txn({ txnId: 't3', state: 'aborted', reason: 'vote-no' }),
        txn({ txnId: 't4', state: 'committed', reason: 'vote-no' }),
      ],
    });
    expect(run(stats, ops(invokeCreate(0), okCreate(0)), obs).stats.loggedAbortsByReason).toEqual({
      'vote-no': 2,
      unknown: 1,
    });
  });

  it('is never invalid, and covers its completions, fault windows and leader losses; nothing completed is unknown', () => {
    const history = ops(invokeCreate(0), okCreate(0), invokeCreate(1), failCreate(1), invokeCreate(2));
    const r = checkSafe(stats).check(history, observations({}), {});
    expect(r.valid).toBe(true);
    expect(r.anomalies).toEqual([]);
    expect(r.coverage).toEqual({ completions: 2, faultWindows: 0, leaderLosses: 0 });
    expect(r.stats).toMatchObject({ completions: 2, faultWindows: 0, leaderLosses: 0 });
    expect(r.stats.availability).toEqual({ windows: [], leaderLossWindows: 0, overBound: 0 });
    const none = checkSafe(stats).check(ops(invokeCreate(0)), observations({}), {});
    expect(none).toMatchObject({
      valid: 'unknown',
      error: 'examined nothing: 0 completions, 0 fault windows, 0 leader losses',
    });
  });
});
