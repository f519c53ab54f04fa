// Proves the participants' 2PC contract against real processes and a real Postgres: a yes vote is a PostgreSQL
// prepared transaction that changes nothing visible until COMMIT PREPARED; commit and abort are idempotent; an abort
// before its prepare leaves a tombstone; no votes, stale tokens and bad signatures change nothing. Each check reads
// the database directly, not just the replies.
import type postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../../../harness/cluster/service-process.ts';
import { signRequest } from '../../common/signing.ts';
import { Fixture, type ParticipantClient, ring, waitFor } from './fixture.ts';

let fx: Fixture;
let rmProc: RunningService;
let rm: ParticipantClient;
let billing: ParticipantClient;
let rmDb: postgres.Sql;
let billingDb: postgres.Sql;
// Tokens only grow across the file (the stale-token test raises the participants' highest token).
let token = 1;
// Channels of cell-10 committed by the concurrent-prepare test.
let cell10Committed = 0;

beforeAll(async () => {
  fx = await Fixture.start();
  const [r, b] = await Promise.all([
    fx.startParticipant('resource-manager', 'rm', 'rm', {
      RIG_CELLS: '10',
      RIG_CELL_CAPACITY: '2',
      RIG_LOCK_TIMEOUT_MS: '400',
    }),
    fx.startParticipant('billing', 'billing', 'billing', {
      RIG_SUBSCRIBERS: '20',
      RIG_INITIAL_BALANCE: '1000',
      RIG_LOCK_TIMEOUT_MS: '5000',
    }),
  ]);
  rmProc = r;
  rm = fx.client(r);
  billing = fx.client(b);
  rmDb = fx.db('rm');
  billingDb = fx.db('billing');
});

afterAll(async () => {
  await fx?.stop();
});

const sub = (i: number) => `imsi-00101${String(i).padStart(10, '0')}`;

async function used(cell: string): Promise<number> {
  const [row] = await rmDb`SELECT used FROM cells WHERE id = ${cell}`;
  return Number(row?.used);
}
async function account(i: number): Promise<{ balance: number; held: number }> {
  const [row] = await billingDb`SELECT balance, held FROM accounts WHERE id = ${sub(i)}`;
  return { balance: Number(row?.balance), held: Number(row?.held) };
}
async function preparedGids(sql: postgres.Sql): Promise<string[]> {
  const rows = await sql`SELECT gid FROM pg_prepared_xacts WHERE database = current_database() ORDER BY gid`;
  return rows.map((r) => String(r.gid));
}
const rmBody = (cells: string[]) => ({ token, kind: 'create', subscriberId: sub(0), cells, amount: 0 });
const billBody = (i: number, amount: number) => ({
  token,
  kind: 'create',
  subscriberId: sub(i),
  cells: ['cell-1'],
  amount,
});

describe('participants', () => {
  it('seeds both databases on first start', async () => {
    expect((await rm.state()).body).toEqual({ cells: 10, capacity: 20, used: 0, overbooked: [], prepared: [] });
    const state = (await billing.state()).body;
    expect(state).toEqual({ accounts: 20, balance: 20_000, held: 0, charged: 0, negative: [], prepared: [] });
    expect(await account(19)).toEqual({ balance: 1000, held: 0 });
  });

  it('prepare then commit: invisible while prepared, applied once by COMMIT PREPARED, idempotent', async () => {
    expect((await rm.prepare('c1', rmBody(['cell-1', 'cell-2']))).body).toEqual({ vote: 'yes' });
    expect((await billing.prepare('c1', billBody(1, 100))).body).toEqual({ vote: 'yes' });
    expect(await preparedGids(rmDb)).toEqual(['rm:c1']);
    expect(await preparedGids(billingDb)).toEqual(['billing:c1']);
    expect([await used('cell-1'), await used('cell-2')]).toEqual([0, 0]);
    expect(await account(1)).toEqual({ balance: 1000, held: 0 });
    expect((await rm.status('c1')).body).toEqual({ txnId: 'c1', state: 'prepared', token: null });
    // A repeated prepare repeats the yes vote without reserving again.
    expect((await rm.prepare('c1', rmBody(['cell-1', 'cell-2']))).body).toEqual({ vote: 'yes' });

    for (const p of [rm, billing]) {
      expect(await p.commit('c1', token)).toEqual({ status: 200, body: { state: 'committed' } });
      expect(await p.commit('c1', token)).toEqual({ status: 200, body: { state: 'committed' } });
      expect((await p.status('c1')).body).toEqual({ txnId: 'c1', state: 'committed', token });
      const abort = await p.abort('c1', token);
      expect(abort.status).toBe(409);
      expect(abort.body).toMatchObject({ code: 'conflict', state: 'committed' });
    }
    expect([await used('cell-1'), await used('cell-2')]).toEqual([1, 1]);
    expect(await account(1)).toEqual({ balance: 900, held: 100 });
    expect(await preparedGids(rmDb)).toEqual([]);
    expect((await rm.prepare('c1', rmBody(['cell-1', 'cell-2']))).body).toEqual({ vote: 'yes' });
    expect(await used('cell-1')).toBe(1);
  });

  it('prepare then abort: rolls back, idempotent, and refuses a later prepare or commit', async () => {
    expect((await rm.prepare('a1', rmBody(['cell-3']))).body).toEqual({ vote: 'yes' });
    expect((await billing.prepare('a1', billBody(2, 300))).body).toEqual({ vote: 'yes' });
    for (const p of [rm, billing]) {
      expect(await p.abort('a1', token)).toEqual({ status: 200, body: { state: 'aborted' } });
      expect(await p.abort('a1', token)).toEqual({ status: 200, body: { state: 'aborted' } });
      expect((await p.status('a1')).body).toEqual({ txnId: 'a1', state: 'aborted', token });
      const commit = await p.commit('a1', token);
      expect(commit.status).toBe(409);
      expect(commit.body).toMatchObject({ code: 'conflict', state: 'aborted' });
    }
    expect((await rm.prepare('a1', rmBody(['cell-3']))).body).toEqual({ vote: 'no', reason: 'tombstoned' });
    expect(await used('cell-3')).toBe(0);
    expect(await account(2)).toEqual({ balance: 1000, held: 0 });
    expect(await preparedGids(rmDb)).toEqual([]);
    expect(await preparedGids(billingDb)).toEqual([]);
  });

  it('an abort before its prepare leaves a tombstone that refuses the late prepare', async () => {
    expect(await rm.abort('t1', token)).toEqual({ status: 200, body: { state: 'aborted' } });
    expect(await billing.abort('t1', token)).toEqual({ status: 200, body: { state: 'aborted' } });
    expect((await rm.prepare('t1', rmBody(['cell-4']))).body).toEqual({ vote: 'no', reason: 'tombstoned' });
    expect((await billing.prepare('t1', billBody(3, 10))).body).toEqual({ vote: 'no', reason: 'tombstoned' });
    expect(await used('cell-4')).toBe(0);
    expect(await account(3)).toEqual({ balance: 1000, held: 0 });
    expect(await preparedGids(rmDb)).toEqual([]);
  });

  it('votes no on exhausted capacity or credit and on unknown ids, changing nothing', async () => {
    for (const txn of ['f1', 'f2']) {
      expect((await rm.prepare(txn, rmBody(['cell-5']))).body).toEqual({ vote: 'yes' });
      await rm.commit(txn, token);
    }
    // cell-6 is reserved first and must be released when cell-5 turns out full.
    expect((await rm.prepare('f3', rmBody(['cell-6', 'cell-5']))).body).toEqual({ vote: 'no', reason: 'no_capacity' });
    expect((await rm.prepare('f4', rmBody(['cell-99']))).body).toEqual({ vote: 'no', reason: 'unknown_cell' });
    expect([await used('cell-5'), await used('cell-6')]).toEqual([2, 0]);
    expect((await rm.status('f3')).body).toMatchObject({ state: 'aborted' });

    expect((await billing.prepare('f5', billBody(4, 1001))).body).toEqual({ vote: 'no', reason: 'no_credit' });
    const unknown = { ...billBody(4, 1), subscriberId: 'imsi-001019999999999' };
    expect((await billing.prepare('f6', unknown)).body).toEqual({ vote: 'no', reason: 'unknown_subscriber' });
    expect(await account(4)).toEqual({ balance: 1000, held: 0 });
    expect(await preparedGids(rmDb)).toEqual([]);
    expect(await preparedGids(billingDb)).toEqual([]);
    const metrics = await fetch(`${rmProc.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/rig_participant_votes_total\{[^}]*vote="no",reason="no_capacity"[^}]*\} 1/);
  });

  it('a prepare waiting behind a prepared transaction votes lock_timeout and holds nothing', async () => {
    expect((await rm.prepare('l1', rmBody(['cell-7']))).body).toEqual({ vote: 'yes' });
    expect((await rm.prepare('l2', rmBody(['cell-8', 'cell-7']))).body).toEqual({
      vote: 'no',
      reason: 'lock_timeout',
    });
    expect(await preparedGids(rmDb)).toEqual(['rm:l1']);
    expect(await rm.commit('l1', token)).toEqual({ status: 200, body: { state: 'committed' } });
    expect([await used('cell-7'), await used('cell-8')]).toEqual([1, 0]);
    const vote = fx.observations('rm', 'vote').find((o) => o.txnId === 'l2');
    expect(vote).toMatchObject({ vote: 'no', reason: 'lock_timeout', token, sessionId: 's-l2' });
    expect(Number(vote?.lockWaitMs)).toBeGreaterThanOrEqual(300);
  });

  it('refuses a stale token with 409 before changing anything, and persists the highest token', async () => {
    const stale = token;
    token += 5;
    expect((await rm.prepare('s1', rmBody(['cell-9']))).body).toEqual({ vote: 'yes' });
    const refused = await rm.prepare('s2', { ...rmBody(['cell-9']), token: stale });
    expect(refused).toMatchObject({ status: 409, body: { code: 'stale_token', highest: token } });
    const commit = await rm.commit('s1', stale);
    expect(commit).toMatchObject({ status: 409, body: { code: 'stale_token', highest: token } });
    expect((await rm.status('s1')).body).toMatchObject({ state: 'prepared' });
    expect((await rm.status('s2')).body).toMatchObject({ state: 'unknown' });
    const [fence] = await rmDb`SELECT highest_token FROM participant_fence`;
    expect(Number(fence?.highest_token)).toBe(token);
    expect(fx.observations('rm', 'stale-token-rejected')).toContainEqual(
      expect.objectContaining({ txnId: 's2', token: stale, highest: token }),
    );
    expect(await rm.commit('s1', token)).toEqual({ status: 200, body: { state: 'committed' } });
    expect(await used('cell-9')).toBe(1);
  });

  it('answers unsigned, tampered and replayed requests with 401 and a stable code, changing nothing', async () => {
    const path = '/v1/txn/u1/prepare';
    const body = JSON.stringify({ ...rmBody(['cell-10']), sessionId: 's-u1', protocol: '2pc' });
    const post = (headers: Record<string, string>, payload = body) =>
      fetch(`${rmProc.url}${path}`, { method: 'POST', headers, body: payload });
    const unsigned = await post({ 'content-type': 'application/json' });
    expect(unsigned.status).toBe(401);
    expect(await unsigned.json()).toMatchObject({ code: 'unsigned' });

    const signed = signRequest(ring, 'POST', path, body, Date.now());
    const tampered = await post(signed, body.replace('cell-10', 'cell-1'));
    expect(tampered.status).toBe(401);
    expect(await tampered.json()).toMatchObject({ code: 'bad_signature' });
    expect((await rm.status('u1')).body).toMatchObject({ state: 'unknown' });

    const fresh = signRequest(ring, 'POST', path, body, Date.now());
    expect((await post(fresh)).status).toBe(200);
    const replayed = await post(fresh);
    expect(replayed.status).toBe(401);
    expect(await replayed.json()).toMatchObject({ code: 'replayed_nonce' });
    expect(await preparedGids(rmDb)).toEqual(['rm:u1']);
    await rm.abort('u1', token);
    expect(await used('cell-10')).toBe(0);
    const metrics = await fetch(`${rmProc.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/rig_rejected_messages_total\{[^}]*reason="replayed_nonce"[^}]*\} 1/);
  });

  it('never over-books a cell under concurrent prepares', async () => {
    const txns = Array.from({ length: 8 }, (_, i) => `m${i}`);
    const votes = await Promise.all(
      txns.map(async (txn) => {
        const reply = await rm.prepare(txn, rmBody(['cell-10']));
        if (reply.body.vote === 'yes') await rm.commit(txn, token);
        return reply.body;
      }),
    );
    cell10Committed = votes.filter((v) => v.vote === 'yes').length;
    expect(cell10Committed).toBeGreaterThan(0);
    expect(cell10Committed).toBeLessThanOrEqual(2);
    for (const v of votes.filter((x) => x.vote !== 'yes')) expect(['no_capacity', 'lock_timeout']).toContain(v.reason);
    expect(await used('cell-10')).toBe(cell10Committed);
    expect(await preparedGids(rmDb)).toEqual([]);
  });

  it('an abort that arrives while its prepare waits for a lock waits for it, then rolls it back', async () => {
    let prepare: Promise<{ body: Record<string, unknown> }> | undefined;
    let abort: Promise<{ body: Record<string, unknown> }> | undefined;
    await billingDb.begin(async (tx) => {
      await tx`SELECT balance FROM accounts WHERE id = ${sub(6)} FOR UPDATE`;
      prepare = billing.prepare('w1', billBody(6, 70));
      await waitFor('the prepare to wait for the row lock', async () => {
        const [row] = await billingDb`SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = 'billing' AND wait_event_type = 'Lock' AND application_name LIKE 'billing:%'`;
        return row?.n === 1 ? true : undefined;
      });
      abort = billing.abort('w1', token);
    });
    // On a slow machine the prepare may have timed out on the lock instead: either way the abort wins.
    expect([{ vote: 'yes' }, { vote: 'no', reason: 'lock_timeout' }]).toContainEqual((await prepare!).body);
    expect((await abort!).body).toEqual({ state: 'aborted' });
    expect((await billing.status('w1')).body).toMatchObject({ state: 'aborted' });
    expect(await preparedGids(billingDb)).toEqual([]);
    expect(await account(6)).toEqual({ balance: 1000, held: 0 });
  });

  it('records a pre-commit durably (3PC) and commits from it', async () => {
    expect((await billing.prepare('p1', { ...billBody(5, 50), protocol: '3pc' })).body).toEqual({ vote: 'yes' });
    expect(await billing.precommit('p1', token)).toEqual({ status: 200, body: { state: 'precommitted' } });
    expect(await billing.precommit('p1', token)).toEqual({ status: 200, body: { state: 'precommitted' } });
    expect((await billing.status('p1')).body).toEqual({ txnId: 'p1', state: 'precommitted', token });
    const early = await billing.precommit('p2', token);
    expect(early).toMatchObject({ status: 409, body: { code: 'conflict', state: 'unknown' } });
    expect(await billing.commit('p1', token)).toEqual({ status: 200, body: { state: 'committed' } });
    expect(await account(5)).toEqual({ balance: 950, held: 50 });
  });

  it('rejects malformed bodies with 400 naming the fields', async () => {
    const bad = await rm.peer.call('POST', '/v1/txn/x1/prepare', { token: -1, cells: 'cell-1' }, { timeoutMs: 5000 });
    expect(bad.status).toBe(400);
    const fields = (bad.body as { fields: string[] }).fields.join(' ');
    for (const f of ['token', 'sessionId', 'protocol', 'subscriberId', 'cells', 'amount']) expect(fields).toContain(f);
    const badId = await rm.peer.call('POST', "/v1/txn/x'1/commit", { token }, { timeoutMs: 5000 });
    expect(badId.status).toBe(400);
  });

  it('keeps conservation totals consistent with what committed', async () => {
    const used = 6 + cell10Committed;
    expect((await rm.state()).body).toEqual({ cells: 10, capacity: 20, used, overbooked: [], prepared: [] });
    expect((await billing.state()).body).toEqual({
      accounts: 20,
      balance: 20_000 - 150,
      held: 150,
      charged: 0,
      negative: [],
      prepared: [],
    });
  });

  it('a modify moves the channels and the hold; a release gives the channels back and charges the hold', async () => {
    const commitBoth = async (txnId: string) => {
      for (const p of [rm, billing]) expect((await p.commit(txnId, token)).status).toBe(200);
    };
    const before = { cells: [await used('cell-7'), await used('cell-8')], account: await account(15) };
    const create = { token, kind: 'create', subscriberId: sub(15), cells: ['cell-7'], amount: 5 };
    for (const p of [rm, billing]) expect((await p.prepare('life-1', create)).body).toEqual({ vote: 'yes' });
    await commitBoth('life-1');
    const modify = {
      ...create,
      kind: 'modify',
      cells: ['cell-8'],
      amount: 20,
      release: { cells: ['cell-7'], amount: 5 },
    };
    for (const p of [rm, billing]) expect((await p.prepare('life-2', modify)).body).toEqual({ vote: 'yes' });
    await commitBoth('life-2');
    expect([await used('cell-7'), await used('cell-8')]).toEqual([before.cells[0]!, before.cells[1]! + 1]);
    expect(await account(15)).toEqual({ balance: before.account.balance - 20, held: before.account.held + 20 });
    const release = { ...create, kind: 'release', cells: [], amount: 0, release: { cells: ['cell-8'], amount: 20 } };
    for (const p of [rm, billing]) expect((await p.prepare('life-3', release)).body).toEqual({ vote: 'yes' });
    await commitBoth('life-3');
    expect([await used('cell-7'), await used('cell-8')]).toEqual(before.cells);
    expect(await account(15)).toEqual({ balance: before.account.balance - 20, held: before.account.held });
    const [row] = await billingDb`SELECT charged FROM accounts WHERE id = ${sub(15)}`;
    expect(Number(row?.charged)).toBe(20);
    // Giving back what the session does not hold is a no vote, and changes nothing.
    const again = await billing.prepare('life-4', { ...release, release: { cells: [], amount: 1_000_000 } });
    expect(again.body).toEqual({ vote: 'no', reason: 'nothing_held' });
  });
});
