// The run's history, written one JSON line per op as the run goes (a crash mid-run leaves a readable prefix, whose cut
// last line the reader tolerates). The op type and its line format are the run directory's (format/history.ts).
import { closeSync, openSync, writeSync } from 'node:fs';
import { type HistoryOp, NEMESIS, opLine } from '../../format/history.ts';

type NewOp = Omit<HistoryOp, 'index' | 'time'> & { time?: number };

export class HistoryWriter {
  private readonly fd: number;
  private index = 0;
  private readonly startNs = process.hrtime.bigint();
  /** Wall-clock time at the run's time 0, to place the servers' wall-clock readings on the history's time base. */
  readonly startWallMs = Date.now();
  /** Client ops only (nemesis ops are not counted). */
  readonly counts = { invoke: 0, ok: 0, fail: 0, info: 0 };

  constructor(path: string) {
    this.fd = openSync(path, 'a');
  }

  nowNs(): number {
    return Number(process.hrtime.bigint() - this.startNs);
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
