// Proves the stats checker: op counts per f and type, latency quantiles per protocol and traffic class from the
// invocation-to-completion times (per f for ops on sessions), failures per f by code (a 412 is visible as
// precondition_failed), aborts by the reason the client was given and the reason logged.
import { describe, expect, it } from 'vitest';
import { stats } from '../stats.ts';
import { failCreate, infoCreate, invokeCreate, observations, okCreate, ops, run, txn } from './fixtures.ts';

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
});
