// The outbox relay's passes, on fakes of the log and the stream (pure logic): a pass appends the unsent rows in
// outbox order in one call and marks them in one statement; a kick during a pass runs one more pass after it; with
// a linger, the kicks of the window share a pass; a failed append marks nothing, and the next pass appends the same
// rows again, in the same order.
import { describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../common/clock.ts';
import type { Logger } from '../../common/log.ts';
import type { SmMetrics } from '../metrics.ts';
import { Relay } from '../relay.ts';
import type { EventStream } from '../store.ts';
import type { OutboxRow, TxLog } from '../txlog.ts';

function fixture(failOn?: string, lingerMs = 0) {
  const outbox: OutboxRow[] = [];
  const reads: number[] = [];
  const marked: number[][] = [];
  const appended: string[] = [];
  let gate: Promise<void> = Promise.resolve();
  const txlog = {
    async unsentEvents(limit: number) {
      reads.push(outbox.length);
      await gate;
      return outbox.slice(0, limit);
    },
    async markSent(sent: ReadonlyArray<{ id: number }>) {
      const ids = sent.map((s) => s.id);
      marked.push(ids);
      for (let i = outbox.length - 1; i >= 0; i--) if (ids.includes(outbox[i]!.id)) outbox.splice(i, 1);
    },
  } as unknown as TxLog;
  const appends: string[][] = [];
  let failing = failOn;
  const stream: EventStream = {
    async emit(events) {
      appends.push(events.map((e) => e.txnId));
      if (events.some((e) => e.txnId === failing)) throw new Error('connection reset');
      return events.map((e) => {
        appended.push(e.txnId);
        return `${appended.length}-0`;
      });
    },
  };
  const heal = () => {
    failing = undefined;
  };
  const logger = { observe() {}, warn() {} } as unknown as Logger;
  const metrics = { eventsEmitted: { inc() {} } } as unknown as SmMetrics;
  const relay = new Relay(
    txlog,
    stream,
    { currentEpoch: () => 3, leaderHint: () => undefined },
    logger,
    metrics,
    systemClock(),
    60_000,
    100,
    () => {},
    lingerMs,
  );
  let id = 0;
  const decide = (txnId: string) => {
    outbox.push({ id: ++id, txnId, sessionId: `s-${txnId}`, outcome: 'commit', token: 3, decidedAtMs: 0 });
    relay.kick();
  };
  const hold = () => {
    let release = () => {};
    gate = new Promise((r) => {
      release = r;
    });
    return () => {
      gate = Promise.resolve();
      release();
    };
  };
  return { relay, decide, hold, heal, reads, marked, appended, appends, outbox };
}

describe('relay', () => {
  it('runs a pass per kick, and one more pass for the kicks made during it, in outbox order', async () => {
    const f = fixture();
    const release = f.hold();
    f.decide('t1'); // starts a pass, held in its read
    f.decide('t2'); // during the pass: one more pass after it
    f.decide('t3');
    release();
    await vi.waitFor(() => expect(f.outbox).toEqual([]));
    expect(f.appended).toEqual(['t1', 't2', 't3']);
    expect(f.reads.length).toBe(2);
    expect(f.marked.flat()).toEqual([1, 2, 3]);
  });

  it('with a linger, the kicks of the window share one pass', async () => {
    const f = fixture(undefined, 40);
    f.decide('t1');
    await new Promise((r) => setImmediate(r));
    f.decide('t2');
    f.decide('t3');
    expect(f.reads).toEqual([]);
    await vi.waitFor(() => expect(f.outbox).toEqual([]));
    expect(f.reads.length).toBe(1);
    expect(f.appends).toEqual([['t1', 't2', 't3']]);
    f.relay.stop();
  });

  it('appends a pass in one call; a failed one marks nothing, and the next pass sends the same rows in order', async () => {
    const f = fixture('t2');
    const release = f.hold();
    f.decide('t1');
    f.decide('t2');
    f.decide('t3');
    release();
    await vi.waitFor(() => expect(f.appends.length).toBeGreaterThan(0));
    expect(f.appends).toEqual([['t1', 't2', 't3']]);
    expect(f.marked).toEqual([]);
    expect(f.outbox.map((r) => r.txnId)).toEqual(['t1', 't2', 't3']);
    f.heal();
    f.relay.kick();
    await vi.waitFor(() => expect(f.outbox).toEqual([]));
    expect(f.appends).toEqual([
      ['t1', 't2', 't3'],
      ['t1', 't2', 't3'],
    ]);
    expect(f.marked).toEqual([[1, 2, 3]]);
  });
});
