// What bench.json holds, and the pure arithmetic over it: the system/floor ratio per level, the best level of each
// side, and the stdout table. Everything here is a plain function of the measured figures, so it is unit-tested.

import type { Protocol } from '../../system/common/contract.ts';
import type { CpuFigures } from './cpu.ts';
import type { LatencySummary } from './latency.ts';

export type { Protocol };

/** One side (system or floor) at one concurrency, or at a fixed rate. */
export interface LevelFigures {
  concurrency: number;
  /** Set for the half-load level: the offered rate, requests per second over all connections. */
  offeredRatePerS?: number;
  durationS: number;
  /** Transactions completed successfully: 201 answers for the system, finished transactions for the floor. */
  completed: number;
  throughputPerS: number;
  latency: LatencySummary;
  /** Answers other than 201 by status (system), or failed transactions by error code (floor). */
  failures: Record<string, number>;
  /** Connection errors and timeouts (system only; the floor counts its errors in `failures`). */
  errors: number;
  timeouts: number;
  /** CPU per process over the level (Linux only). */
  cpu?: CpuFigures;
  /** The paced level only: its requests by the second they were due. */
  timeline?: SecondFigures[];
}

/** One second of a paced level: the requests due in it, those completed and their latency, and those not. */
export interface SecondFigures {
  /** Seconds from the level's start. */
  s: number;
  completed: number;
  /** Not completed: answers other than 201, errors, timeouts, and requests skipped for too many in flight. */
  notOk: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Linux: the share of all CPUs busy in the wall-clock second from the level's start, and CPU ms per process. */
  busyPct?: number;
  cpuMs?: Record<string, number>;
}

export interface LevelPair {
  concurrency: number;
  system: LevelFigures;
  floor: LevelFigures;
  /** system.throughputPerS / floor.throughputPerS; null when the floor completed nothing. */
  ratio: number | null;
}

export interface Best {
  system: { concurrency: number; throughputPerS: number };
  floor: { concurrency: number; throughputPerS: number };
  /** The system's best throughput over the floor's best throughput, each at its own best concurrency. */
  ratio: number | null;
  /** The system's best over the floor at the same concurrency. */
  ratioSameConcurrency: number | null;
}

export interface ProtocolFigures {
  protocol: Protocol;
  available: boolean;
  /** Why the protocol was not measured (what the gateway answered to a probe). */
  unavailable?: string;
  levels: LevelPair[];
  best?: Best;
  /** The system offered half its best throughput, at the best concurrency: the latency it keeps with headroom. */
  halfLoad?: LevelFigures;
}

export const ratioOf = (system: number, floor: number): number | null =>
  floor > 0 ? Math.round((system / floor) * 1000) / 1000 : null;

export function pairLevel(system: LevelFigures, floor: LevelFigures): LevelPair {
  return {
    concurrency: system.concurrency,
    system,
    floor,
    ratio: ratioOf(system.throughputPerS, floor.throughputPerS),
  };
}

/** The level with the highest throughput; the lower concurrency wins a tie (same work with less queueing). */
export function bestLevel(levels: readonly LevelFigures[]): LevelFigures | undefined {
  let best: LevelFigures | undefined;
  for (const l of levels) if (!best || l.throughputPerS > best.throughputPerS) best = l;
  return best;
}

export function bestOf(pairs: readonly LevelPair[]): Best | undefined {
  const system = bestLevel(pairs.map((p) => p.system));
  const floor = bestLevel(pairs.map((p) => p.floor));
  if (!system || !floor) return undefined;
  const sameLevel = pairs.find((p) => p.concurrency === system.concurrency);
  return {
    system: { concurrency: system.concurrency, throughputPerS: system.throughputPerS },
    floor: { concurrency: floor.concurrency, throughputPerS: floor.throughputPerS },
    ratio: ratioOf(system.throughputPerS, floor.throughputPerS),
    ratioSameConcurrency: sameLevel ? ratioOf(system.throughputPerS, sameLevel.floor.throughputPerS) : null,
  };
}

/** Half the best system throughput, in whole requests per second (at least 1), for the half-load level. */
export function halfLoadRate(best: Best): number {
  return Math.max(1, Math.floor(best.system.throughputPerS / 2));
}

const fixed = (n: number, digits: number) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
const ratioText = (r: number | null) => (r === null ? '-' : r.toFixed(2));

/** `503=12 0=3`, most frequent first; `-` when there are none. */
export function failureText(failures: Record<string, number>, errors = 0, timeouts = 0): string {
  const all = { ...failures, ...(errors ? { errors } : {}), ...(timeouts ? { timeouts } : {}) };
  const parts = Object.entries(all)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([k, n]) => `${k}=${n}`);
  return parts.length ? parts.join(' ') : '-';
}

/** Right-aligns every column under a header; the last one is left as it is when it holds free text. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[], textLast = true): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (textLast && i === cells.length - 1 ? c : c.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export const tableHeader = [
  'protocol',
  'conc',
  'system tx/s',
  'floor tx/s',
  'ratio',
  'sys p50',
  'p90',
  'p99',
  'p99.9',
  'max ms',
  'floor p50',
  'floor p99',
  'not 201 / failed',
] as const;

export function tableRows(protocols: readonly ProtocolFigures[]): string[][] {
  const rows: string[][] = [];
  for (const p of protocols) {
    if (!p.available) {
      rows.push([p.protocol, '-', 'unavailable', '', '', '', '', '', '', '', '', '', p.unavailable ?? '']);
      continue;
    }
    for (const l of p.levels) {
      const s = l.system.latency;
      rows.push([
        p.protocol,
        String(l.concurrency),
        fixed(l.system.throughputPerS, 1),
        fixed(l.floor.throughputPerS, 1),
        ratioText(l.ratio),
        ...[s.p50Ms, s.p90Ms, s.p99Ms, s.p999Ms, s.maxMs].map((v) => fixed(v, 1)),
        fixed(l.floor.latency.p50Ms, 1),
        fixed(l.floor.latency.p99Ms, 1),
        `${failureText(l.system.failures, l.system.errors, l.system.timeouts)} / ${failureText(l.floor.failures)}`,
      ]);
    }
  }
  return rows;
}

/** The second with the highest p99 (the earliest of equals); undefined without a timeline. */
export function worstSecond(timeline: readonly SecondFigures[] | undefined): SecondFigures | undefined {
  let worst: SecondFigures | undefined;
  for (const s of timeline ?? []) if (s.completed > 0 && (!worst || s.p99Ms > worst.p99Ms)) worst = s;
  return worst;
}

/** The lines under the table: the best levels, their ratio, the latency at half the best load and its worst second. */
export function summaryLines(protocols: readonly ProtocolFigures[]): string[] {
  const lines: string[] = [];
  for (const p of protocols) {
    if (!p.available || !p.best) continue;
    const b = p.best;
    lines.push(
      `${p.protocol} best: system ${fixed(b.system.throughputPerS, 1)} tx/s at concurrency ${b.system.concurrency}, ` +
        `floor ${fixed(b.floor.throughputPerS, 1)} tx/s at ${b.floor.concurrency}: system/floor ${ratioText(b.ratio)} ` +
        `(${ratioText(b.ratioSameConcurrency)} against the floor at ${b.system.concurrency})`,
    );
    const h = p.halfLoad;
    if (h) {
      lines.push(
        `${p.protocol} half load: ${h.offeredRatePerS} req/s offered on ${h.concurrency} connections, ` +
          `${fixed(h.throughputPerS, 1)} tx/s done, p50 ${fixed(h.latency.p50Ms, 1)} ms, p99 ${fixed(h.latency.p99Ms, 1)} ms, ` +
          `p99.9 ${fixed(h.latency.p999Ms, 1)} ms`,
      );
      const worst = worstSecond(h.timeline);
      if (worst) {
        const busy = worst.busyPct === undefined ? '' : `, machine ${fixed(worst.busyPct, 1)}% busy`;
        lines.push(`${p.protocol} half load, worst second: s=${worst.s}, p99 ${fixed(worst.p99Ms, 1)} ms${busy}`);
      }
    }
  }
  return lines;
}

/** CPU per transaction: one row per level and side, one column per process group seen. */
export function cpuTable(protocols: readonly ProtocolFigures[]): string | undefined {
  const sides = protocols.flatMap((p) =>
    p.levels.flatMap((l) =>
      (['system', 'floor'] as const).map((side) => ({ p: p.protocol, c: l.concurrency, side, cpu: l[side].cpu })),
    ),
  );
  const groups = [...new Set(sides.flatMap((s) => Object.keys(s.cpu?.msPerTxn ?? {})))];
  if (groups.length === 0) return undefined;
  const rows = sides.map((s) => [
    s.p,
    String(s.c),
    s.side,
    s.cpu ? `${s.cpu.machineBusyPct}%` : '-',
    ...groups.map((g) => (s.cpu?.msPerTxn[g] === undefined ? '-' : fixed(s.cpu.msPerTxn[g], 2))),
  ]);
  return formatTable(['protocol', 'conc', 'side', 'busy', ...groups.map((g) => `${g} ms`)], rows, false);
}
