// The run's history, written one JSON line per op as the run goes (a crash mid-run leaves a readable prefix).
// Jepsen's fields: index, type, process, f, value, time (ns since the run started, monotonic), error.
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export type OpType = 'invoke' | 'ok' | 'fail' | 'info';
export type Process = number | 'nemesis';

export interface Op {
  index: number;
  type: OpType;
  process: Process;
  f: string;
  value: unknown;
  time: number;
  error?: string;
}

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

  append(op: Omit<Op, 'index' | 'time'> & { time?: number }): Op {
    const full: Op = { index: this.index++, time: op.time ?? this.nowNs(), ...op } as Op;
    const ordered: Op = {
      index: full.index,
      type: full.type,
      process: full.process,
      f: full.f,
      value: full.value,
      time: full.time,
      ...(full.error ? { error: full.error } : {}),
    };
    writeSync(this.fd, `${JSON.stringify(ordered)}\n`);
    if (full.process !== 'nemesis') this.counts[full.type]++;
    return ordered;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** The ops of a stored run (a cut last line, from a crash, is skipped). */
export function readOps(runDir: string): Op[] {
  const ops: Op[] = [];
  for (const line of readFileSync(join(runDir, 'history.jsonl'), 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      ops.push(JSON.parse(line) as Op);
    } catch {
      // the cut last line of a crashed run
    }
  }
  return ops;
}
