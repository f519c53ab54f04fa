// The quiet window's measure of unfinished work, against a real PostgreSQL: a transaction counts until it is
// closed in the log, its event until the relay has marked it sent (the nightly once collected the stream between
// the last close and the relay's next pass, and the checker reported that event lost), and a prepared transaction
// until it is resolved, each participant counting only its own database's.
import { describe, expect, it } from 'vitest';
import { coordinatorDatabases, intent } from '../../../system/session-manager/__tests__/txlog-fixture.ts';
import { PostgresTxLog } from '../../../system/session-manager/txlog.ts';
import { unfinishedWork } from '../probes.ts';

const database = coordinatorDatabases('quiet');

describe('unfinished work', () => {
  it('counts open transactions, unsent events and prepared transactions until each is done', async () => {
    const db = { coordinator: await database(), rm: await database(), billing: await database() };
    const log = await PostgresTxLog.open(db.coordinator, 20_000);
    await log.raiseFence(1);
    expect(await unfinishedWork(db)).toEqual({ open: 0, unsent: 0, prepared: 0 });

    await log.insertIntent(intent('t1'));
    expect(await unfinishedWork(db)).toEqual({ open: 1, unsent: 0, prepared: 0 });
    await log.decide('t1', 'commit', null, 1, 'sm-1', 5);
    await log.close('t1', 1);
    // Closed, but its event has not gone out yet: not quiet.
    expect(await unfinishedWork(db)).toEqual({ open: 0, unsent: 1, prepared: 0 });
    const [row] = await log.unsentEvents(10);
    await log.markSent([{ id: row!.id, streamId: '1-0' }]);
    expect(await unfinishedWork(db)).toEqual({ open: 0, unsent: 0, prepared: 0 });

    const conn = await db.rm.reserve();
    try {
      await conn.unsafe('BEGIN');
      await conn.unsafe("PREPARE TRANSACTION 'quiet-test'");
    } finally {
      conn.release();
    }
    // Both participant databases live on one server; only rm's counts, once.
    expect(await unfinishedWork(db)).toEqual({ open: 0, unsent: 0, prepared: 1 });
    await db.rm.unsafe("COMMIT PREPARED 'quiet-test'");
    expect(await unfinishedWork(db)).toEqual({ open: 0, unsent: 0, prepared: 0 });
  });
});
