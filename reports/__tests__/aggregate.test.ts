// The report's pure aggregation, on histories small enough to work out by hand: ops become columns (ops on sessions
// summarised without their session ids), time buckets carry the right quantiles, rates and failure reasons, failures
// are tabled per op and reason, fault windows pair their start and stop ops, and leadership
// terms end where they should.
import { describe, expect, it } from 'vitest';
import { faultWindows, nemesisOps } from '../../format/fault-windows.ts';
import { parseHistory } from '../../format/run-dir.ts';
import { buckets, bucketWidthMs, quantileSorted } from '../buckets.ts';
import { leadership } from '../leadership.ts';
import { clientOps, Dict, OUTCOME_CODE } from '../ops.ts';
import { failTable, latencyTable, queueDelayTable } from '../tables.ts';

const MS = 1e6;

/** A history from [process, f, startMs, endMs, type, value?] rows, sorted into real-time order. */
function history(rows: [number | string, string, number, number, string, unknown?][]) {
  const lines: { time: number; text: string }[] = [];
  for (const [process, f, start, end, type, value] of rows) {
    const invokeValue = typeof value === 'object' && value !== null && 'request' in value ? value.request : null;
    lines.push({
      time: start * MS,
      text: JSON.stringify({ type: 'invoke', process, f, value: invokeValue ?? null, time: start * MS }),
    });
    const done = typeof value === 'object' && value !== null && 'result' in value ? value.result : null;
    lines.push({ time: end * MS, text: JSON.stringify({ type, process, f, value: done ?? null, time: end * MS }) });
  }
  lines.sort((a, b) => a.time - b.time);
  return parseHistory(lines.map((l) => l.text).join('\n')).history;
}

describe('clientOps', () => {
  it('pairs each client invocation with its completion, as columns, and leaves nemesis ops out', () => {
    const h = history([
      [
        0,
        'create-session',
        0,
        10,
        'ok',
        {
          request: { protocol: '2pc', trafficClass: 'voice' },
          result: { outcome: 'committed', timings: { queueMs: 2 } },
        },
      ],
      [
        1,
        'create-session',
        5,
        8,
        'fail',
        {
          request: { protocol: '3pc', trafficClass: 'data' },
          result: { outcome: 'aborted', reason: 'vote-no', status: 409 },
        },
      ],
      ['nemesis', 'start-partition', 6, 7, 'info'],
    ]);
    const ops = clientOps(h);
    expect(ops.n).toBe(2);
    expect([...ops.start]).toEqual([0, 5]);
    expect([...ops.latency]).toEqual([10, 3]);
    expect([...ops.outcome]).toEqual([OUTCOME_CODE.ok, OUTCOME_CODE.fail]);
    expect(ops.groups).toEqual(['2pc/voice', '3pc/data']);
    expect(ops.reasons[ops.reason[1]!]).toBe('vote-no');
    expect(ops.queueMs[0]).toBe(2);
    expect(Number.isNaN(ops.queueMs[1]!)).toBe(true);
  });

  it('interns strings, and past the last Uint16 code maps every new string to one "(other)"', () => {
    const d = new Dict('');
    for (let i = 0; i < 70_000; i++) d.code(`s${i}`);
    expect(d.values.length).toBe(65_535);
    expect(d.values.at(-1)).toBe('(other)');
    expect(d.code('s1')).toBe(2);
    expect(d.code('new')).toBe(65_534);
  });
});

describe('ops on sessions', () => {
  const on = { sessionId: 'ses-1' };
  const h = history([
    [0, 'read-session', 0, 1, 'ok', { request: on, result: { ...on, revision: 2, status: 'COMMITTED' } }],
    [
      1,
      'modify-session',
      2,
      6,
      'ok',
      {
        request: { ...on, requestId: 'r1', ifMatch: 2, trafficClass: 'video', cells: ['cell-1', 'cell-2'] },
        result: { ...on, outcome: 'committed', kind: 'modify', revision: 3 },
      },
    ],
    [
      2,
      'modify-session',
      3,
      5,
      'fail',
      {
        request: { ...on, requestId: 'r2', ifMatch: 2, cells: ['cell-3'] },
        result: { status: 412, code: 'precondition_failed', ...on, revision: 3 },
      },
    ],
    [
      3,
      'release-session',
      7,
      8,
      'fail',
      {
        request: { ...on, requestId: 'r3' },
        result: { status: 409, code: 'not_active', ...on, reason: 'change-in-flight', revision: 3 },
      },
    ],
    [
      4,
      'modify-session',
      9,
      12,
      'fail',
      {
        request: { ...on, requestId: 'r4', ifMatch: 1, trafficClass: 'data' },
        result: { status: 412, code: 'precondition_failed', ...on, revision: 3 },
      },
    ],
  ]);
  const ops = clientOps(h);
  const summary = (k: number, column: 'request' | 'result') => ops.summaries[ops[column][k]!];

  it('summarises each request and answer by its condition, change and revision, never by session id', () => {
    expect([0, 1, 2, 3, 4].map((k) => summary(k, 'request'))).toEqual([
      'get',
      'if-match 2 video 2 cells',
      'if-match 2 1 cell',
      'unconditional',
      'if-match 1 data',
    ]);
    expect([0, 1, 2, 3].map((k) => summary(k, 'result'))).toEqual([
      'COMMITTED rev 2',
      'committed rev 3',
      'precondition_failed 412 rev 3',
      'not_active: change-in-flight 409 rev 3',
    ]);
    expect(ops.summaries.some((t) => t.includes('ses-1'))).toBe(false);
  });

  it('groups their latency by op, and tables their failures by op and reason', () => {
    expect(latencyTable(ops).map((r) => [r.group, r.count, r.ok, r.fail])).toEqual([
      ['modify-session', 3, 1, 2],
      ['read-session', 1, 1, 0],
      ['release-session', 1, 0, 1],
      ['all', 5, 2, 3],
    ]);
    expect(failTable(ops)).toEqual([
      { f: 'modify-session', reason: 'precondition_failed', count: 2 },
      { f: 'release-session', reason: 'not_active: change-in-flight', count: 1 },
    ]);
  });
});

describe('buckets', () => {
  it('picks a round width giving at most the target number of buckets', () => {
    expect(bucketWidthMs(30_000)).toBe(200);
    expect(bucketWidthMs(31_000)).toBe(250);
    expect(bucketWidthMs(1_000)).toBe(10);
    expect(bucketWidthMs(3_600_000)).toBe(30_000);
  });

  it('takes nearest-rank quantiles', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(quantileSorted(sorted, 0.5)).toBe(50);
    expect(quantileSorted(sorted, 0.99)).toBe(99);
    expect(Number.isNaN(quantileSorted([], 0.5))).toBe(true);
  });

  it('puts latency quantiles in the bucket of the invocation, and rates in the bucket of the completion', () => {
    // Bucket 0 (0-100 ms): invocations with latencies 1..10. Bucket 1: one op invoked at 150 that takes 100 ms.
    const rows: [number, string, number, number, string, unknown?][] = [];
    for (let i = 1; i <= 10; i++) rows.push([i, 'create-session', i, i + i, 'ok']);
    rows.push([0, 'create-session', 150, 250, 'fail', { result: { outcome: 'aborted', reason: 'no-capacity' } }]);
    rows.push([11, 'create-session', 160, 170, 'fail', { result: { status: 503, reason: 'not_leader' } }]);
    rows.push([12, 'create-session', 180, 190, 'info']);
    const b = buckets(clientOps(history(rows)), 300, 100);
    expect(b.count).toBe(3);
    expect(b.p50.slice(0, 2)).toEqual([5, 10]);
    expect(b.p99.slice(0, 2)).toEqual([10, 100]);
    expect(Number.isNaN(b.p50[2]!)).toBe(true);
    // Completions: 10 oks in bucket 0; fail(not_leader) and info in bucket 1; fail(no-capacity) at 250 in bucket 2.
    expect(b.okPerS).toEqual([100, 0, 0]);
    expect(b.failPerS).toEqual([0, 10, 10]);
    expect(b.infoPerS).toEqual([0, 10, 0]);
    expect(b.failRate.not_leader).toEqual([0, 0.5, 0]);
    expect(b.failRate['no-capacity']).toEqual([0, 0, 1]);
  });

  it('has one empty bucket for an empty history', () => {
    const b = buckets(clientOps([]), 0);
    expect(b.count).toBe(1);
    expect(b.okPerS).toEqual([0]);
    expect(b.failRate).toEqual({});
  });
});

describe('faultWindows', () => {
  const ops = (rows: [string, number, number, unknown?][]) =>
    nemesisOps(
      history(
        rows.map(([f, s, e, value]) => ['nemesis', f, s, e, 'info', { request: value ?? null, result: value ?? null }]),
      ),
    );

  it('pairs start/stop, kill/restart and pause/resume by kind, from the start invocation to the stop completion', () => {
    const w = faultWindows(
      ops([
        ['start-partition', 100, 101, { isolate: 'n1' }],
        ['kill-leader', 150, 152, { node: 'n2' }],
        ['stop-partition', 200, 203],
        ['restart-leader', 300, 301],
        ['pause-leader', 400, 400.5],
        ['resume-leader', 500, 500.5],
      ]),
      1000,
    );
    expect(w.windows.map((x) => [x.kind, x.startMs, x.endMs])).toEqual([
      ['partition', 100, 203],
      ['kill-leader', 150, 301],
      ['pause-leader', 400, 500.5],
    ]);
    expect(w.windows[0]!.label).toBe('partition: isolate n1');
    expect(w.instants).toEqual([]);
  });

  it('closes everything open at a heal, runs unclosed windows to the end, and keeps other ops as instants', () => {
    const w = faultWindows(
      ops([
        ['start-latency', 10, 11, { link: 'n1->redis' }],
        ['start-partition', 20, 21],
        ['restart-redis', 25, 26],
        ['heal', 40, 41],
        ['start-clock-skew', 50, 51],
      ]),
      90,
    );
    expect(w.windows.map((x) => [x.kind, x.startMs, x.endMs, x.closedBy >= 0])).toEqual([
      ['latency', 10, 41, true],
      ['partition', 20, 41, true],
      ['clock-skew', 50, 90, false],
    ]);
    expect(w.instants.map((i) => [i.label, i.atMs])).toEqual([
      ['restart-redis', 25],
      ['heal', 40],
    ]);
  });
});

describe('leadership', () => {
  const rec = (node: string, epoch: number, event: 'acquire' | 'renew-failed' | 'step-down', atMs: number) => ({
    kind: 'leader' as const,
    node,
    epoch,
    event,
    at: atMs * MS,
  });

  it('ends a term at its step-down or failed renewal, at a newer epoch, or at the end of the run', () => {
    const l = leadership(
      [
        rec('n1', 1, 'acquire', 0),
        rec('n1', 1, 'renew-failed', 10),
        rec('n2', 2, 'acquire', 12),
        rec('n3', 3, 'acquire', 30),
        rec('n2', 2, 'step-down', 31),
      ],
      50,
    );
    expect(l.nodes).toEqual(['n1', 'n2', 'n3']);
    expect(l.terms.map((t) => [t.node, t.epoch, t.startMs, t.endMs, t.end])).toEqual([
      ['n1', 1, 0, 10, 'renew-failed'],
      ['n2', 2, 12, 30, 'superseded'],
      ['n3', 3, 30, 50, 'run-end'],
    ]);
  });
});

describe('percentile tables', () => {
  it('groups latency by protocol/class, each alone, and all; queue delay by class', () => {
    const rows: [number, string, number, number, string, unknown?][] = [];
    for (let i = 0; i < 100; i++) {
      const cls = i % 2 === 0 ? 'voice' : 'data';
      rows.push([
        i,
        'create-session',
        i,
        i + 1 + i,
        'ok',
        { request: { protocol: '2pc', trafficClass: cls }, result: { timings: { queueMs: cls === 'voice' ? 1 : 10 } } },
      ]);
    }
    const ops = clientOps(history(rows));
    const table = latencyTable(ops);
    expect(table.map((r) => r.group)).toEqual(['2pc/data', '2pc/voice', '2pc/all', 'all/data', 'all/voice', 'all']);
    const all = table.at(-1)!;
    expect(all.count).toBe(100);
    expect(all.p50).toBeCloseTo(50, 1);
    expect(all.max).toBeCloseTo(100, 1);
    const queue = queueDelayTable(ops);
    expect(queue.map((r) => [r.group, r.count, Math.round(r.p99)])).toEqual([
      ['data', 50, 10],
      ['voice', 50, 1],
      ['all', 100, 10],
    ]);
  });
});
