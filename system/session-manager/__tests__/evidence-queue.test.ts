// Proves that the scheduler's evidence survives the trip through the log: a scheduler with the evidence observer
// writes one `queue` line per request (started or shed) and a `scheduler` line per start, and the reader turns them
// into `queue` records in the scheduler's exact order, with the client's request id, the aging bound and a new
// incarnation after a restart.
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../common/clock.ts';
import { createLogger, type ObservationLine } from '../../common/log.ts';
import { QueueReader, queueEvidence } from '../evidence-queue.ts';
import { Scheduler } from '../scheduler.ts';

const config = { workers: 1, queueMax: 1, agingMs: 50, promotedTurnEvery: 4, queueWaitMaxMs: 10_000 };
const quiet = { started: () => {}, depth: () => {}, shed: () => {} };

function scheduled(lines: ObservationLine[], now: { ms: number }) {
  const logger = createLogger(
    'session-manager',
    'sm-1',
    () => 1000,
    'info',
    (l) => lines.push(JSON.parse(l)),
  );
  return new Scheduler(config, { ...systemClock(), monotonicMs: () => now.ms }, { ...quiet, ...queueEvidence(logger) });
}

describe('queue evidence', () => {
  it('writes one line per request and reads them back as ordered records', async () => {
    const lines: ObservationLine[] = [];
    const now = { ms: 0 };
    const s = scheduled(lines, now);
    s.start();
    let release!: () => void;
    const busy = s.submit('data', () => new Promise<void>((r) => (release = r)), 'client:r1');
    const voice = s.submit('voice', async () => 'v', 'client:r2');
    const refused = s.submit('video', async () => 'x', 'gw:abc').catch((e: Error) => e.message);
    await new Promise((r) => setImmediate(r)); // the first request's work has begun
    now.ms = 7;
    release();
    await Promise.all([busy, voice, refused]);
    s.stop();
    s.start(); // a restart of the scheduler is a new incarnation
    await s.submit('video', async () => 'x2', 'client:r3');
    s.stop();
    const reader = new QueueReader((ms) => ms * 1e6);
    for (const l of lines) reader.add('sm-1', l);
    const summary = reader.records.map((r) => [
      r.incarnation,
      r.requestId,
      r.trafficClass,
      r.outcome,
      r.enqueueSeq,
      r.seq,
    ]);
    expect(summary).toEqual([
      [1, 'r1', 'data', 'started', 1, 2],
      [1, undefined, 'video', 'full', 4, 4],
      [1, 'r2', 'voice', 'started', 3, 5],
      [2, 'r3', 'video', 'started', 6, 7],
    ]);
    expect(reader.records[2]).toMatchObject({ enqueuedMs: 0, atMs: 7, agingMs: 50, node: 'sm-1', at: 1e9 });
  });
});
