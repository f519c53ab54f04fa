// The scheduler's evidence: one log line per request offered to the queue, written when its fate is known (started,
// or shed and why), and one line per scheduler start with its configuration. A line per request and no more: it is
// on the hot path of every session. The reader turns them into `queue` records (format/observations.ts).
import { type QueueRecord, queueRecord } from '../../format/observations.ts';
import type { Logger, ObservationLine } from '../common/log.ts';
import type { ToNs } from './evidence.ts';
import type { SchedulerObserver } from './scheduler.ts';

const clientKey = 'client:';

/** Scheduler clock readings to the microsecond: enough to order them, short on the line. */
const micros = (ms: number) => Math.round(ms * 1000) / 1000;

/** The observer half that writes the evidence lines (`queue` per request, `scheduler` per start). */
export function queueEvidence(logger: Logger): Pick<SchedulerObserver, 'settled' | 'begun'> {
  return {
    settled(s) {
      logger.observe('queue', {
        id: s.id,
        cls: s.cls,
        out: s.outcome,
        eseq: s.enqueueSeq,
        seq: s.seq,
        enq: micros(s.enqueuedMs),
        at: micros(s.atMs),
      });
    },
    begun(config) {
      logger.observe('scheduler', { ...config });
    },
  };
}

/** Reads one node's lines in order: each `scheduler` line starts a new incarnation (its counter starts again). */
export class QueueReader {
  readonly records: QueueRecord[] = [];
  private readonly incarnations = new Map<string, { n: number; agingMs: number | undefined }>();

  constructor(private readonly toNs: ToNs) {}

  /** True when the line was the scheduler's. */
  add(node: string, o: ObservationLine): boolean {
    if (o.obs === 'scheduler') {
      const n = (this.incarnations.get(node)?.n ?? 0) + 1;
      this.incarnations.set(node, { n, agingMs: typeof o.agingMs === 'number' ? o.agingMs : undefined });
      return true;
    }
    if (o.obs !== 'queue') return false;
    // Lines before any start line (an older log) count as the first incarnation, without the aging bound.
    const inc = this.incarnations.get(node) ?? { n: 1, agingMs: undefined };
    const id = typeof o.id === 'string' ? o.id : undefined;
    const raw = {
      kind: 'queue',
      node,
      incarnation: inc.n,
      requestId: id?.startsWith(clientKey) ? id.slice(clientKey.length) : undefined,
      trafficClass: o.cls,
      outcome: o.out,
      enqueueSeq: o.eseq,
      seq: o.seq,
      enqueuedMs: o.enq,
      atMs: o.at,
      agingMs: inc.agingMs,
      at: this.toNs(o.t),
    };
    this.records.push(queueRecord.parse(raw, `${node} queue at ${o.t}`));
    return true;
  }
}
