// Proves bench.html is self-contained (no scripts, nothing fetched) and carries both curves, every figure, and
// escaped text, on hand-made figures.
import { describe, expect, it } from 'vitest';
import { bestOf, type LevelFigures, pairLevel } from '../figures.ts';
import { type BenchDocument, lineChart, renderBenchHtml } from '../html.ts';

function level(concurrency: number, throughputPerS: number): LevelFigures {
  const latency = { count: 1, meanMs: 5, p50Ms: 4, p90Ms: 8, p99Ms: 12, p999Ms: 20, maxMs: 21 };
  return { concurrency, durationS: 10, completed: 1, throughputPerS, latency, failures: {}, errors: 0, timeouts: 0 };
}

const levels = [pairLevel(level(1, 20), level(1, 100)), pairLevel(level(16, 40), level(16, 200))];
const doc: BenchDocument = {
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-01T00:05:00.000Z',
  command: 'rig bench --store <x>',
  options: {},
  environment: 'local',
  machine: {
    cpus: 2,
    cpuModel: 'x',
    memoryBytes: 1,
    os: { type: 'Linux', release: '6', arch: 'x64' },
    loadAverage: { start: [0, 0, 0] },
  },
  versions: { node: 'v20', postgres: '15', redis: '7', rig: '0.1.0', commit: 'abc' },
  protocols: [
    { protocol: '2pc', available: true, levels, best: bestOf(levels)! },
    { protocol: '3pc', available: false, unavailable: 'answered 400', levels: [] },
  ],
};

describe('bench.html', () => {
  const html = renderBenchHtml(doc);

  it('fetches nothing and runs no script', () => {
    expect(html).not.toMatch(/<script|src=|href=|https?:\/\/(?!www\.w3)/);
  });

  it('draws both curves with a series per side and the figures table', () => {
    expect(html.match(/<svg /g)).toHaveLength(2);
    expect(html).toContain('2pc system');
    expect(html).toContain('2pc floor');
    expect(html).toContain('answered 400');
    expect(html).toContain('system/floor 0.20');
  });

  it('draws the half load second by second when it has a timeline', () => {
    const timeline = [0, 1, 2].map((s) => ({ s, completed: 5, notOk: 0, p50Ms: 3, p99Ms: 9 + s, maxMs: 30 }));
    const halfLoad = { ...level(16, 20), offeredRatePerS: 20, timeline };
    const withHalf = renderBenchHtml({ ...doc, protocols: [{ ...doc.protocols[0]!, halfLoad }] });
    expect(withHalf.match(/<svg /g)).toHaveLength(3);
    expect(withHalf).toContain('2pc half load (20 req/s), latency of the requests due in each second');
    // With each second's CPU (Linux), a chart of the machine's busy share beside it.
    const withCpu = timeline.map((s) => ({ ...s, busyPct: 80 + s.s, cpuMs: { gateway: 100 } }));
    const halfLoadCpu = { ...halfLoad, timeline: withCpu };
    const both = renderBenchHtml({ ...doc, protocols: [{ ...doc.protocols[0]!, halfLoad: halfLoadCpu }] });
    expect(both.match(/<svg /g)).toHaveLength(4);
    expect(both).toContain('2pc half load (20 req/s), share of all CPUs busy in each second');
  });

  it('escapes text from the command line', () => {
    expect(html).toContain('rig bench --store &lt;x&gt;');
  });

  it('says so when a chart has no points', () => {
    expect(lineChart('t', { label: 'x', log: true }, { label: 'y', log: false }, [])).toContain('no data');
  });
});
