// Proves the stats checker: op counts per f and type, latency quantiles per protocol and traffic class from the
// invocation-to-completion times, aborts by the reason the client was given and the reason logged.
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
});
