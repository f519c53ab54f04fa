// The outbox relay's passes, on fakes of the log and the stream (pure logic): a pass carries the unsent rows in
// outbox order and marks them in one statement; a kick during a pass runs one more pass after it; a failed append
// ends the pass there, so no later event can overtake it, and what was appended before it is still marked sent.
import { describe, expect, it, vi } from 'vitest';
import type { Logger } from '../../common/log.ts';
import type { SmMetrics } from '../metrics.ts';
import { Relay } from '../relay.ts';
import type { EventStream } from '../store.ts';
import type { OutboxRow, TxLog } from '../txlog.ts';

function fixture(failOn?: string) {
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
  const stream: EventStream = {
    async emit(e) {
      if (e.txnId === failOn) throw new Error('connection reset');
      appended.push(e.txnId);
      return `${appended.length}-0`;
    },
  };
  const logger = { observe() {}, warn() {} } as unknown as Logger;
  const metrics = { eventsEmitted: { inc() {} } } as unknown as SmMetrics;
  const relay = new Relay(
    txlog,
    stream,
    { currentEpoch: () => 3, leaderHint: () => undefined },
    logger,
    metrics,
    60_000,
    100,
    () => {},
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
  return { relay, decide, hold, reads, marked, appended, outbox };
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

  it('stops at a failed append, marks what went before, and leaves the rest for the next pass', async () => {
    const f = fixture('t2');
    const release = f.hold();
    f.decide('t1');
    f.decide('t2');
    f.decide('t3');
    release();
    await vi.waitFor(() => expect(f.marked.length).toBeGreaterThan(0));
    expect(f.appended).toEqual(['t1']);
    expect(f.marked).toEqual([[1]]);
    expect(f.outbox.map((r) => r.txnId)).toEqual(['t2', 't3']);
  });
});
