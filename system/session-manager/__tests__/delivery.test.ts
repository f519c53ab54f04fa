// Phase 2 on fakes of the log, the DSM and the participants (pure logic): the answer waits for every participant's
// acknowledgement but not for the log row's close; the DSM's final state and the decisions go out together; the
// transaction counts as being driven (so the finisher leaves it alone) until its close has landed or failed; a
// refusal leaves the row open for the finisher.
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../common/clock.ts';
import type { Phase2 } from '../../common/contract.ts';
import type { Faults } from '../../common/faults.ts';
import type { Logger } from '../../common/log.ts';
import { Delivery } from '../delivery.ts';
import type { ParticipantClient } from '../participants.ts';
import type { Dsm } from '../store.ts';
import type { SessionRequest, TxLog } from '../txlog.ts';

/** A promise and the function that settles it. */
function gate<T = void>() {
  let open!: (value: T) => void;
  let fail!: (err: Error) => void;
  const promise = new Promise<T>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

function fixture(refuse?: string) {
  const events: string[] = [];
  const closing = gate();
  const dsmWrite = gate<number>();
  const txlog = {
    async close(txnId: string) {
      events.push(`close ${txnId}`);
      await closing.promise;
    },
  } as unknown as TxLog;
  const dsm: Dsm = {
    async read() {
      return undefined;
    },
    async cas(_version, _token, record) {
      events.push(`dsm ${record.status}`);
      return dsmWrite.promise;
    },
  };
  const participant = (name: string): ParticipantClient => ({
    name,
    prepare: async () => ({ vote: 'yes' }),
    state: async () => 'prepared',
    async send(phase: Phase2, txnId: string) {
      events.push(`${phase} ${name} ${txnId}`);
      return name === refuse ? { ok: false, state: 'aborted', code: 'conflict' } : { ok: true };
    },
  });
  const delivery = new Delivery({
    config: { phase2TimeoutMs: 1000 },
    txlog,
    dsm,
    participants: [participant('rm'), participant('billing')],
    clock: systemClock(),
    logger: { observe() {}, warn() {} } as unknown as Logger,
    faults: { crashPoint() {} } as unknown as Faults,
  });
  const request = { subscriberId: 'imsi-1', trafficClass: 'voice', protocol: '2pc', cells: ['cell-1'] };
  const row = { txnId: 't1', sessionId: 's1', request: request as unknown as SessionRequest };
  return { delivery, row, events, closing, dsmWrite };
}

describe('phase 2', () => {
  it('sends the decisions while the DSM write is in flight, and answers before the close lands', async () => {
    const f = fixture();
    const finishing = f.delivery.finish(f.row, 'commit', null, 1, 1, 3);
    // The DSM write has not answered, yet both participants already have the decision.
    await expect.poll(() => f.events).toEqual(['dsm COMMITTED', 'commit rm t1', 'commit billing t1']);
    expect(f.delivery.isDriving('t1')).toBe(true);
    f.dsmWrite.open(4);
    const finished = await finishing;
    expect(finished.delivered).toBe(true);
    expect(f.events.at(-1)).toBe('close t1');
    // Answered, the close still in flight: the finisher must still leave the txn alone.
    expect(f.delivery.isDriving('t1')).toBe(true);
    f.closing.open();
    expect(await finished.closed).toBe(true);
    await expect.poll(() => f.delivery.isDriving('t1')).toBe(false);
  });

  it('does not close when a participant refuses, and stops counting the txn as driven', async () => {
    const f = fixture('billing');
    f.dsmWrite.open(4);
    const finished = await f.delivery.finish(f.row, 'commit', null, 1, 1, 3);
    expect(finished.delivered).toBe(false);
    expect(await finished.closed).toBe(false);
    expect(f.events).not.toContain('close t1');
    await expect.poll(() => f.delivery.isDriving('t1')).toBe(false);
  });

  it('reports a failed close as not closed, without rejecting', async () => {
    const f = fixture();
    f.dsmWrite.open(4);
    const finished = await f.delivery.finish(f.row, 'commit', null, 1, 1, 3);
    f.closing.fail(new Error('connection reset'));
    expect(await finished.closed).toBe(false);
    await expect.poll(() => f.delivery.isDriving('t1')).toBe(false);
  });
});
