// The run's history, written one JSON line per op as the run goes (a crash mid-run leaves a readable prefix, whose cut
// last line the reader tolerates). The op type and its line format are the run directory's (format/history.ts).
import { closeSync, openSync, writeSync } from 'node:fs';
import { type HistoryOp, NEMESIS, opLine } from '../../format/history.ts';

type NewOp = Omit<HistoryOp, 'index' | 'time'> & { time?: number };

/** Where a history's times come from: the process's own clocks, or a simulation's virtual ones. */
export interface HistoryTime {
  /** Monotonic, in ns, from any origin. */
  monotonicNs(): number;
  /** Calendar time, ms. */
  wallMs(): number;
}

const hrOrigin = process.hrtime.bigint();
export const realTime: HistoryTime = {
  // From an origin of our own: hrtime's is arbitrary, and its readings can pass 2^53 ns.
  monotonicNs: () => Number(process.hrtime.bigint() - hrOrigin),
  wallMs: () => Date.now(),
};

export class HistoryWriter {
  private readonly fd: number;
  private index = 0;
  private readonly startNs: number;
  /** Wall-clock time at the run's time 0, to place the servers' wall-clock readings on the history's time base. */
  readonly startWallMs: number;
  /** Client ops only (nemesis ops are not counted). */
  readonly counts = { invoke: 0, ok: 0, fail: 0, info: 0 };

  constructor(
    path: string,
    private readonly time: HistoryTime = realTime,
  ) {
    this.fd = openSync(path, 'a');
    this.startNs = time.monotonicNs();
    this.startWallMs = time.wallMs();
  }

  nowNs(): number {
    return this.time.monotonicNs() - this.startNs;
  }

  /** Nanoseconds on the history's time base for a server's wall-clock reading in ms. */
  wallToNs(wallMs: number): number {
    return Math.round((wallMs - this.startWallMs) * 1e6);
  }

  append(op: NewOp): HistoryOp {
    const full = { ...op, index: this.index++, time: op.time ?? this.nowNs() } as HistoryOp;
    writeSync(this.fd, opLine(full));
    if (full.process !== NEMESIS) this.counts[full.type]++;
    return full;
  }

  close(): void {
    closeSync(this.fd);
  }
}
