// Proves the bench's arithmetic and text: the ratio per level, the best level of each side (a tie goes to the
// lower concurrency), half the best load, failure counts, and the table and summary lines, on hand-made figures.
import { describe, expect, it } from 'vitest';
import {
  bestOf,
  cpuTable,
  failureText,
  formatTable,
  halfLoadRate,
  type LevelFigures,
  type LevelPair,
  type ProtocolFigures,
  pairLevel,
  ratioOf,
  summaryLines,
  tableHeader,
  tableRows,
} from '../figures.ts';

function level(concurrency: number, throughputPerS: number, p99Ms = 10): LevelFigures {
  return {
    concurrency,
    durationS: 10,
    completed: throughputPerS * 10,
    throughputPerS,
    latency: { count: throughputPerS * 10, meanMs: 5, p50Ms: 4, p90Ms: 8, p99Ms, p999Ms: p99Ms * 2, maxMs: p99Ms * 3 },
    failures: {},
    errors: 0,
    timeouts: 0,
  };
}

const pairs: LevelPair[] = [
  pairLevel(level(1, 20), level(1, 100)),
  pairLevel(level(16, 40), level(16, 200)),
  pairLevel(level(64, 40), level(64, 150)),
];

describe('ratio and best level', () => {
  it('divides system by floor to three decimals, and has no ratio when the floor did nothing', () => {
    expect(ratioOf(42.2, 166)).toBe(0.254);
    expect(ratioOf(10, 0)).toBeNull();
    expect(pairs[0]!.ratio).toBe(0.2);
  });

  it('takes each side at its own best concurrency, the lower one on a tie', () => {
    const best = bestOf(pairs)!;
    expect(best.system).toEqual({ concurrency: 16, throughputPerS: 40 });
    expect(best.floor).toEqual({ concurrency: 16, throughputPerS: 200 });
    expect(best.ratio).toBe(0.2);
    expect(best.ratioSameConcurrency).toBe(0.2);
    expect(bestOf([])).toBeUndefined();
  });

  it('compares with the floor at the same level as well as with its best', () => {
    const best = bestOf([pairLevel(level(1, 30), level(1, 300)), pairLevel(level(8, 20), level(8, 100))])!;
    expect(best.ratio).toBe(0.1);
    expect(best.ratioSameConcurrency).toBe(0.1);
    const other = bestOf([pairLevel(level(1, 30), level(1, 60)), pairLevel(level(8, 20), level(8, 100))])!;
    expect(other.ratio).toBe(0.3);
    expect(other.ratioSameConcurrency).toBe(0.5);
  });

  it('offers half the best system throughput, in whole requests, at least one', () => {
    expect(halfLoadRate(bestOf(pairs)!)).toBe(20);
    expect(halfLoadRate(bestOf([pairLevel(level(1, 1.5), level(1, 3))])!)).toBe(1);
  });
});

describe('text', () => {
  it('lists failures most frequent first, and a dash when there are none', () => {
    expect(failureText({ '503': 2, '500': 7 }, 1, 0)).toBe('500=7 503=2 errors=1');
    expect(failureText({}, 0, 0)).toBe('-');
  });

  it('right-aligns all columns but the last', () => {
    expect(formatTable(['a', 'bb', 'note'], [['10', '2', 'x y']])).toBe(' a  bb  note\n10   2  x y');
  });

  it('has one row per level and one for an unavailable protocol, with its reason', () => {
    const protocols: ProtocolFigures[] = [
      { protocol: '2pc', available: true, levels: pairs, best: bestOf(pairs)! },
      { protocol: '3pc', available: false, unavailable: 'the gateway answered 400', levels: [] },
    ];
    const rows = tableRows(protocols);
    expect(rows).toHaveLength(4);
    expect(rows[1]!.slice(0, 5)).toEqual(['2pc', '16', '40.0', '200.0', '0.20']);
    expect(rows[1]).toHaveLength(tableHeader.length);
    expect(rows[3]![0]).toBe('3pc');
    expect(rows[3]!.at(-1)).toBe('the gateway answered 400');
    const lines = summaryLines(protocols);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('system/floor 0.20');
  });

  it('states the half-load latency when it was measured', () => {
    const half = { ...level(16, 20, 30), offeredRatePerS: 20 };
    const lines = summaryLines([
      { protocol: '2pc', available: true, levels: pairs, best: bestOf(pairs)!, halfLoad: half },
    ]);
    expect(lines[1]).toBe(
      '2pc half load: 20 req/s offered on 16 connections, 20.0 tx/s done, p50 4.0 ms, p99 30.0 ms, p99.9 60.0 ms',
    );
    expect(lines).toHaveLength(2);
  });

  it('names the worst second of the half load when it has a timeline', () => {
    const second = (s: number, p99Ms: number, completed = 5) => ({
      s,
      completed,
      notOk: 0,
      p50Ms: 1,
      p99Ms,
      maxMs: 90,
    });
    const timeline = [second(0, 20), { ...second(1, 45), busyPct: 91.25 }, second(2, 45), second(3, 99, 0)];
    const half = { ...level(16, 20, 30), offeredRatePerS: 20, timeline };
    const lines = summaryLines([
      { protocol: '2pc', available: true, levels: pairs, best: bestOf(pairs)!, halfLoad: half },
    ]);
    expect(lines[2]).toBe('2pc half load, worst second: s=1, p99 45.0 ms, machine 91.3% busy');
  });

  it('tabulates CPU per transaction per process, and nothing when none was measured', () => {
    expect(cpuTable([{ protocol: '2pc', available: true, levels: pairs }])).toBeUndefined();
    const cpu = { machineBusyPct: 90, msPerTxn: { gateway: 3.5, postgres: 8 } };
    const withCpu = [pairLevel({ ...level(1, 20), cpu }, level(1, 100))];
    const table = cpuTable([{ protocol: '2pc', available: true, levels: withCpu }])!;
    expect(table.split('\n')).toEqual([
      'protocol  conc    side  busy  gateway ms  postgres ms',
      '     2pc     1  system   90%        3.50         8.00',
      '     2pc     1   floor     -           -            -',
    ]);
  });
});
