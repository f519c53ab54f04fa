// The participant's storage adapters against the real server and against the simulator's model of it, from one
// test body (issue 23 item 4): TxnStore + WaitGraph over a private PostgreSQL (migrated and seeded as run.ts does,
// one fresh database per test), and harness/sim/models/participant.ts on a kernel's virtual clock. Every outcome of every
// statement the model follows is a case here: the real target proves the case right, the model target that the
// model matches. Time passes on the real target by polling with a deadline, on the model by running the kernel.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalEnvironmentHandle, startLocal } from '../../../harness/env/local.ts';
import { postgresUrl } from '../../../harness/env/types.ts';
import { Kernel } from '../../../harness/sim/kernel.ts';
import { type DomainName, ParticipantModel } from '../../../harness/sim/models/participant.ts';
import { createBillingDomain } from '../../billing/domain.ts';
import { readAccounts } from '../../billing/evidence.ts';
import { systemClock } from '../../common/clock.ts';
import { Env } from '../../common/config.ts';
import type { PrepareRequest } from '../../common/contract.ts';
import type { Logger } from '../../common/log.ts';
import { migrate, type Queryable, Statements } from '../../common/statements.ts';
import { createRmDomain } from '../../resource-manager/domain.ts';
import { readCells } from '../../resource-manager/evidence.ts';
import type { Domain } from '../domain.ts';
import { countPrepared, readLeftPrepared, readParticipantTxns } from '../evidence.ts';
import { InFlightPrepares } from '../inflight.ts';
import type { FenceStore, LockWaits, ParticipantStore, PrepareOutcome, WaitEdge } from '../ports.ts';
import { TxnStore } from '../store.ts';
import { WaitGraph } from '../waits.ts';
import { waitFor } from './fixture.ts';

interface OpenOptions {
  domain: DomainName;
  lockTimeoutMs?: number;
  cells?: number;
  cellCapacity?: number;
  subscribers?: number;
  initialBalance?: number;
}

/** One participant database, real or modelled. `store` and `waits` are new objects after `crash`. */
interface Db {
  readonly store: ParticipantStore & FenceStore;
  readonly waits: LockWaits;
  readonly evidence: Queryable;
  readonly rules: Domain;
  /** Waits for `p`, letting time pass (the model: running the kernel until it settles). */
  settle<T>(p: Promise<T>): Promise<T>;
  /** Lets time pass until `probe` gives a value. */
  until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T>;
  /** Lets at least `ms` pass. */
  pass(ms: number): Promise<void>;
  /** The service process dies and a new one opens the store (real: the pool ends and a new one connects). */
  crash(): Promise<void>;
  close(): Promise<void>;
}

interface Target {
  name: 'postgres' | 'model';
  open(o: OpenOptions): Promise<Db>;
}

const silent: Logger = { log() {}, info() {}, warn() {}, error() {}, observe() {} };
const waitsIntervalMs = 20;
let opened = 0;
const openDbs: Db[] = [];

function rulesOf(o: Required<OpenOptions>): Domain {
  return o.domain === 'rm'
    ? createRmDomain(new Env({ RIG_CELLS: String(o.cells), RIG_CELL_CAPACITY: String(o.cellCapacity) }))
    : createBillingDomain(
        new Env({ RIG_SUBSCRIBERS: String(o.subscribers), RIG_INITIAL_BALANCE: String(o.initialBalance) }),
      );
}

function withDefaults(o: OpenOptions): Required<OpenOptions> {
  return { lockTimeoutMs: 20_000, cells: 4, cellCapacity: 1, subscribers: 3, initialBalance: 100, ...o };
}

let pgDir: string | undefined;
let pg: LocalEnvironmentHandle | undefined;
const core = Statements.load('participant', new URL('../sql/', import.meta.url));

const postgresTarget: Target = {
  name: 'postgres',
  async open(options) {
    const o = withDefaults(options);
    if (!pg) throw new Error('postgres not started');
    const env = pg;
    const n = ++opened;
    const node = `n${n}`;
    const db = await env.createDatabase(`store_${n}`);
    const rules = rulesOf(o);
    const clock = systemClock();
    const connect = () =>
      postgres(postgresUrl(env.postgres, db), {
        max: 8,
        onnotice: () => {},
        connection: { lock_timeout: o.lockTimeoutMs, idle_in_transaction_session_timeout: 30_000 },
      });
    let sql = connect();
    await migrate(sql, [core, rules.statements]);
    await rules.seed(sql);
    const adapters = () => {
      const inflight = new InFlightPrepares();
      return {
        store: new TxnStore(sql, node, core, rules, clock, inflight),
        waits: new WaitGraph(sql, core, inflight, `${node}:`, node, silent, clock, waitsIntervalMs),
      };
    };
    let a = adapters();
    const until = <T>(what: string, probe: () => Promise<T | undefined>) => waitFor(what, probe, 30_000);
    return {
      get store() {
        return a.store;
      },
      get waits() {
        return a.waits;
      },
      get evidence() {
        return sql;
      },
      rules,
      settle: (p) => p,
      until,
      async pass(ms) {
        const end = Date.now() + ms;
        await until(`${ms} ms to pass`, async () => (Date.now() > end ? true : undefined));
      },
      async crash() {
        await sql.end({ timeout: 5 });
        sql = connect();
        a = adapters();
      },
      close: () => sql.end({ timeout: 5 }),
    };
  },
};

const modelTarget: Target = {
  name: 'model',
  async open(options) {
    const o = withDefaults(options);
    const n = ++opened;
    const k = new Kernel(n);
    const model = new ParticipantModel(k.clock('db'), { ...o, node: `n${n}`, waitsIntervalMs });
    const flush = () => new Promise((r) => setImmediate(r));
    const horizonMs = 600_000;
    return {
      store: model,
      waits: model,
      evidence: model.evidence,
      rules: rulesOf(o),
      async settle(p) {
        let done = false;
        p.then(
          () => {
            done = true;
          },
          () => {
            done = true;
          },
        );
        await flush();
        if (!done) await k.run({ until: () => done, untilMs: k.nowMs() + horizonMs });
        if (!done) throw new Error('the model never settled the call');
        return p;
      },
      async until(what, probe) {
        const endMs = k.nowMs() + horizonMs;
        for (;;) {
          const v = await probe();
          if (v !== undefined) return v;
          if (k.nowMs() >= endMs) throw new Error(`model: ${horizonMs} virtual ms without ${what}`);
          await k.run({ untilMs: k.nowMs() + 1 });
        }
      },
      async pass(ms) {
        await k.run({ untilMs: k.nowMs() + ms });
      },
      async crash() {
        model.crash();
      },
      async close() {},
    };
  },
};

const targets: Target[] = [postgresTarget, modelTarget];

beforeAll(async () => {
  pgDir = mkdtempSync(join(tmpdir(), 'rig-store-'));
  pg = await startLocal({ dir: pgDir });
});

afterEach(async () => {
  for (const db of openDbs.splice(0)) await db.close().catch(() => {});
});

afterAll(async () => {
  await pg?.stop();
  if (pgDir) rmSync(pgDir, { recursive: true, force: true });
});

const subscriber = (i: number) => `imsi-00101${String(i).padStart(10, '0')}`;

/** A prepare request; `cells`/`amount` what the session holds after it, `release` what it held before. */
function req(token: number, body: Partial<PrepareRequest> = {}): PrepareRequest {
  return {
    token,
    sessionId: `ses-${token}`,
    protocol: '2pc',
    subscriberId: subscriber(0),
    kind: 'create',
    cells: [],
    amount: 0,
    ...body,
  };
}

/** The prepare as the core runs it: the domain's reservations, then the store. */
function prepare(db: Db, txnId: string, r: PrepareRequest): Promise<PrepareOutcome> {
  const planned = db.rules.reservations(r);
  if (typeof planned === 'string') throw new Error(`the rules refuse ${txnId} (${planned}): not a store case`);
  return db.store.prepare(txnId, r, planned);
}

const yes = { lockWaitMs: expect.any(Number) };
const no = (reason: string) => ({ reason, lockWaitMs: expect.any(Number) });
const existing = { existing: true, lockWaitMs: expect.any(Number) };
type Edge = Omit<WaitEdge, 'waitedMs'>;
const byKey = (a: Edge, b: Edge) => `${a.txnId}>${a.waitsFor}`.localeCompare(`${b.txnId}>${b.waitsFor}`);

/** The edges (without their times) once `count` of them are seen. */
async function edgesSeen(db: Db, count: number) {
  const edges = await db.until(`${count} wait edge(s)`, async () => {
    const { edges } = await db.waits.snapshot();
    return edges.length === count ? edges : undefined;
  });
  for (const e of edges) expect(e.waitedMs).toBeGreaterThanOrEqual(0);
  return edges.map(({ txnId, waitsFor, resource }): Edge => ({ txnId, waitsFor, resource })).sort(byKey);
}

async function used(db: Db, cell: string): Promise<number | undefined> {
  return (await readCells(db.evidence, 'final', 0)).find((c) => c.cellId === cell)?.used;
}

describe.each(targets)('participant store on $name', (target) => {
  const open = async (o: OpenOptions) => {
    const db = await target.open(o);
    openDbs.push(db);
    return db;
  };

  it(`${target.name}: a yes vote is durable and invisible until COMMIT PREPARED, which makes it count`, async () => {
    const db = await open({ domain: 'rm' });
    expect(await db.settle(prepare(db, 'a', req(3, { cells: ['cell-1', 'cell-2'] })))).toEqual(yes);
    expect(await db.store.facts('a')).toEqual({ state: 'prepared', token: null });
    expect((await db.store.prepared(10)).map((p) => p.txnId)).toEqual(['a']);
    expect(await db.store.totals()).toEqual({ cells: 4, capacity: 4, used: 0, overbooked: [] });
    expect(await db.store.commitPrepared('a')).toBe(true);
    expect(await db.store.facts('a')).toEqual({ state: 'committed', token: 3 });
    expect(await db.store.totals()).toEqual({ cells: 4, capacity: 4, used: 2, overbooked: [] });
    expect(await db.store.prepared(10)).toEqual([]);
  });

  it(`${target.name}: reserve_cell votes no_capacity on a full cell and unknown_cell on none, undoing the rest`, async () => {
    const db = await open({ domain: 'rm' });
    expect(await db.settle(prepare(db, 'a', req(1, { cells: ['cell-1'] })))).toEqual(yes);
    expect(await db.store.commitPrepared('a')).toBe(true);
    expect(await db.settle(prepare(db, 'b', req(1, { cells: ['cell-2', 'cell-1'] })))).toEqual(no('no_capacity'));
    expect(await db.settle(prepare(db, 'c', req(1, { cells: ['cell-3', 'cell-99'] })))).toEqual(no('unknown_cell'));
    // A no vote leaves nothing: no txn row, no prepared transaction, no change to the cells it did reserve.
    expect(await db.store.facts('b')).toEqual({ state: 'unknown', token: null });
    expect(await db.store.facts('c')).toEqual({ state: 'unknown', token: null });
    expect(await countPrepared(db.evidence)).toBe(0);
    expect(await db.settle(prepare(db, 'd', req(1, { cells: ['cell-2', 'cell-3'] })))).toEqual(yes);
  });

  it(`${target.name}: release_cell gives a channel back, votes nothing_held on an unused cell, unknown_cell on none`, async () => {
    const db = await open({ domain: 'rm' });
    expect(await db.settle(prepare(db, 'a', req(1, { cells: ['cell-1'] })))).toEqual(yes);
    await db.store.commitPrepared('a');
    // A modify within one full cell: the reservation sees the release before it in its own transaction.
    const held = { cells: ['cell-1'], amount: 0 };
    expect(await db.settle(prepare(db, 'b', req(1, { kind: 'modify', cells: ['cell-1'], release: held })))).toEqual(
      yes,
    );
    await db.store.commitPrepared('b');
    expect(await used(db, 'cell-1')).toBe(1);
    expect(await db.settle(prepare(db, 'c', req(1, { kind: 'release', release: held })))).toEqual(yes);
    await db.store.commitPrepared('c');
    expect(await used(db, 'cell-1')).toBe(0);
    const unused = { cells: ['cell-2'], amount: 0 };
    expect(await db.settle(prepare(db, 'd', req(1, { kind: 'release', release: unused })))).toEqual(no('nothing_held'));
    const none = { cells: ['cell-99'], amount: 0 };
    expect(await db.settle(prepare(db, 'e', req(1, { kind: 'release', release: none })))).toEqual(no('unknown_cell'));
  });

  it(`${target.name}: a prepare of a txn prepared, committed or tombstoned here answers existing`, async () => {
    const db = await open({ domain: 'rm', cellCapacity: 5 });
    expect(await db.settle(prepare(db, 'a', req(2, { cells: ['cell-1'] })))).toEqual(yes);
    // Repeated while prepared: no wait on the row lock its own prepared transaction holds.
    expect(await db.settle(prepare(db, 'a', req(2, { cells: ['cell-1'] })))).toEqual({ existing: true, lockWaitMs: 0 });
    await db.store.commitPrepared('a');
    expect(await db.settle(prepare(db, 'a', req(2, { cells: ['cell-1'] })))).toEqual(existing);
    await db.settle(db.store.tombstone('b', 4, 'ses-b', 'abort'));
    expect(await db.settle(prepare(db, 'b', req(4, { cells: ['cell-1'] })))).toEqual(existing);
    expect(await db.store.facts('b')).toEqual({ state: 'aborted', token: 4 });
    expect(await used(db, 'cell-1')).toBe(1);
  });

  it(`${target.name}: precommit is recorded once and only while prepared`, async () => {
    const db = await open({ domain: 'rm' });
    expect(await db.store.precommit('a', 5)).toBe(false);
    expect(await db.settle(prepare(db, 'a', req(5, { cells: ['cell-1'] })))).toEqual(yes);
    expect(await db.store.precommit('a', 6)).toBe(true);
    expect(await db.store.facts('a')).toEqual({ state: 'precommitted', token: 6 });
    expect(await db.store.precommit('a', 7)).toBe(false);
    expect(await db.store.facts('a')).toEqual({ state: 'precommitted', token: 6 });
    expect(await db.store.commitPrepared('a')).toBe(true);
    expect(await db.store.facts('a')).toEqual({ state: 'committed', token: 5 });
    expect(await db.store.precommit('a', 8)).toBe(false);
  });

  it(`${target.name}: COMMIT/ROLLBACK PREPARED of an unknown gid is false; a rollback undoes and frees`, async () => {
    const db = await open({ domain: 'rm' });
    expect(await db.store.commitPrepared('nope')).toBe(false);
    expect(await db.store.rollbackPrepared('nope')).toBe(false);
    expect(await db.settle(prepare(db, 'a', req(2, { cells: ['cell-1'] })))).toEqual(yes);
    await db.store.precommit('a', 2);
    expect(await db.store.rollbackPrepared('a')).toBe(true);
    expect(await db.store.rollbackPrepared('a')).toBe(false);
    expect(await db.store.commitPrepared('a')).toBe(false);
    // The pre-commit row stays, but without the prepared transaction the txn is unknown until its tombstone.
    expect(await db.store.facts('a')).toEqual({ state: 'unknown', token: null });
    await db.settle(db.store.tombstone('a', 9, null, 'leader'));
    await db.settle(db.store.tombstone('a', 10, null, 'leader'));
    expect(await db.store.facts('a')).toEqual({ state: 'aborted', token: 9 });
    // Its channel came back: the row lock went with it, so this does not wait.
    expect(await db.settle(prepare(db, 'b', req(2, { cells: ['cell-1'] })))).toEqual(yes);
  });

  it(`${target.name}: prepared(limit) lists the oldest first with their ages`, async () => {
    const db = await open({ domain: 'rm', cellCapacity: 5 });
    for (const [i, id] of ['p1', 'p2', 'p3'].entries()) {
      expect(await db.settle(prepare(db, id, req(1, { cells: [`cell-${i + 1}`] })))).toEqual(yes);
      await db.pass(5);
    }
    await db.store.precommit('p2', 1);
    await db.pass(5);
    const all = await db.store.prepared(10);
    expect(all.map((p) => p.txnId)).toEqual(['p1', 'p2', 'p3']);
    expect(all[0]!.ageMs).toBeGreaterThan(all[1]!.ageMs);
    expect(all[1]!.ageMs).toBeGreaterThan(all[2]!.ageMs);
    expect(all.map((p) => p.precommitAgeMs === null)).toEqual([true, false, true]);
    expect(all[1]!.precommitAgeMs).toBeGreaterThan(0);
    expect(all[1]!.precommitAgeMs).toBeLessThan(all[1]!.ageMs);
    expect((await db.store.prepared(2)).map((p) => p.txnId)).toEqual(['p1', 'p2']);
  });

  it(`${target.name}: the fence keeps the highest token and never lowers it`, async () => {
    const db = await open({ domain: 'rm' });
    expect(await db.store.highestToken()).toBe(0);
    expect(await db.store.raiseToken(5)).toBe(5);
    expect(await db.store.raiseToken(3)).toBe(5);
    expect(await db.store.highestToken()).toBe(5);
    await db.crash();
    expect(await db.store.highestToken()).toBe(5);
  });

  it(`${target.name}: a lock wait ends when the holder commits (EvalPlanQual: yes, or no_capacity when it filled the cell)`, async () => {
    const db = await open({ domain: 'rm', cellCapacity: 2 });
    expect(await db.settle(prepare(db, 'h', req(1, { cells: ['cell-1'] })))).toEqual(yes);
    const waiter = prepare(db, 'w', req(1, { cells: ['cell-1'] }));
    expect(await edgesSeen(db, 1)).toEqual([{ txnId: 'w', waitsFor: 'h', resource: 'cell:cell-1' }]);
    expect(await db.store.commitPrepared('h')).toBe(true);
    const out = await db.settle(waiter);
    expect(out).toEqual(yes);
    expect(out.lockWaitMs).toBeGreaterThan(0);
    // The cell is now full once w commits; a third waits for w and finds it full when w commits.
    const third = prepare(db, 'x', req(1, { cells: ['cell-1'] }));
    expect(await edgesSeen(db, 1)).toEqual([{ txnId: 'x', waitsFor: 'w', resource: 'cell:cell-1' }]);
    expect(await db.store.commitPrepared('w')).toBe(true);
    expect(await db.settle(third)).toEqual(no('no_capacity'));
    expect(await used(db, 'cell-1')).toBe(2);
  });

  it(`${target.name}: a lock wait ends with the holder's rollback, and the waiter reserves`, async () => {
    const db = await open({ domain: 'rm' });
    expect(await db.settle(prepare(db, 'h', req(1, { cells: ['cell-1'] })))).toEqual(yes);
    const waiter = prepare(db, 'w', req(1, { cells: ['cell-1'] }));
    await edgesSeen(db, 1);
    expect(await db.store.rollbackPrepared('h')).toBe(true);
    expect(await db.settle(waiter)).toEqual(yes);
    expect(await db.store.commitPrepared('w')).toBe(true);
    expect(await used(db, 'cell-1')).toBe(1);
  });

  it(`${target.name}: a row whose WHERE fails on the statement's snapshot is not waited for`, async () => {
    const db = await open({ domain: 'rm' });
    expect(await db.settle(prepare(db, 'a', req(1, { cells: ['cell-1'] })))).toEqual(yes);
    await db.store.commitPrepared('a');
    // h, prepared, gives cell-1's channel back; committed, the cell is still full, so w refuses at once.
    const held = { cells: ['cell-1'], amount: 0 };
    expect(await db.settle(prepare(db, 'h', req(1, { kind: 'release', release: held })))).toEqual(yes);
    expect(await db.settle(prepare(db, 'w', req(1, { cells: ['cell-1'] })))).toEqual({
      reason: 'no_capacity',
      lockWaitMs: expect.any(Number),
    });
    expect((await db.waits.snapshot()).edges).toEqual([]);
  });

  it(`${target.name}: after a wait the refusal is chosen from the statement's snapshot, not the new row`, async () => {
    const db = await open({ domain: 'billing' });
    await db.settle(prepare(db, 'a', req(1, { amount: 30 })));
    await db.store.commitPrepared('a');
    const holding = { cells: [], amount: 30 };
    expect(await db.settle(prepare(db, 'h', req(1, { kind: 'release', release: holding })))).toEqual(yes);
    // w's snapshot: held 30, balance 70, so it waits for h; h's commit leaves held 0, which fails w's WHERE. The
    // CASE reads the snapshot, where the account still held 30: no_credit, not nothing_held.
    const w = prepare(db, 'w', req(1, { kind: 'modify', amount: 40, release: holding }));
    expect(await edgesSeen(db, 1)).toEqual([{ txnId: 'w', waitsFor: 'h', resource: `account:${subscriber(0)}` }]);
    expect(await db.store.commitPrepared('h')).toBe(true);
    expect(await db.settle(w)).toEqual(no('no_credit'));
  });

  it(`${target.name}: a lock wait past lock_timeout votes lock_timeout and lets go of what it reserved`, async () => {
    const db = await open({ domain: 'rm', lockTimeoutMs: 300 });
    expect(await db.settle(prepare(db, 'h', req(1, { cells: ['cell-1'] })))).toEqual(yes);
    const out = await db.settle(prepare(db, 'w', req(1, { cells: ['cell-2', 'cell-1'] })));
    expect(out).toEqual(no('lock_timeout'));
    expect(out.lockWaitMs).toBeGreaterThan(0);
    expect(await db.settle(prepare(db, 'x', req(1, { cells: ['cell-2'] })))).toEqual(yes);
    expect(await db.store.facts('w')).toEqual({ state: 'unknown', token: null });
  });

  it(`${target.name}: waiters queue FIFO per row; each waits for the one ahead (pg_blocking_pids)`, async () => {
    const db = await open({ domain: 'rm', cellCapacity: 5 });
    expect(await db.settle(prepare(db, 'h', req(1, { cells: ['cell-1'] })))).toEqual(yes);
    const w1 = prepare(db, 'w1', req(1, { cells: ['cell-1'] }));
    await edgesSeen(db, 1);
    const w2 = prepare(db, 'w2', req(1, { cells: ['cell-1'] }));
    await edgesSeen(db, 2);
    const w3 = prepare(db, 'w3', req(1, { cells: ['cell-1'] }));
    expect(await edgesSeen(db, 4)).toEqual([
      { txnId: 'w1', waitsFor: 'h', resource: 'cell:cell-1' },
      { txnId: 'w2', waitsFor: 'w1', resource: 'cell:cell-1' },
      { txnId: 'w3', waitsFor: 'w1', resource: 'cell:cell-1' },
      { txnId: 'w3', waitsFor: 'w2', resource: 'cell:cell-1' },
    ]);
    // Rolled back, not committed: after a commit PostgreSQL's waiters race for the row's new version, which the
    // model does not (it hands the row on FIFO).
    expect(await db.store.rollbackPrepared('h')).toBe(true);
    expect(await db.settle(w1)).toEqual(yes);
    expect(await edgesSeen(db, 2)).toEqual([
      { txnId: 'w2', waitsFor: 'w1', resource: 'cell:cell-1' },
      { txnId: 'w3', waitsFor: 'w2', resource: 'cell:cell-1' },
    ]);
    expect(await db.store.rollbackPrepared('w1')).toBe(true);
    expect(await db.settle(w2)).toEqual(yes);
    expect(await db.store.commitPrepared('w2')).toBe(true);
    expect(await db.settle(w3)).toEqual(yes);
    expect(await db.store.commitPrepared('w3')).toBe(true);
    expect(await used(db, 'cell-1')).toBe(2);
  });

  it(`${target.name}: cancel makes a waiting prepare vote deadlock_victim and its locks go`, async () => {
    const db = await open({ domain: 'rm' });
    expect(await db.waits.cancel('nobody')).toBe(false);
    expect(await db.settle(prepare(db, 'h', req(1, { cells: ['cell-1'] })))).toEqual(yes);
    const victim = prepare(db, 'v', req(1, { cells: ['cell-2', 'cell-1'] }));
    expect(await edgesSeen(db, 1)).toEqual([{ txnId: 'v', waitsFor: 'h', resource: 'cell:cell-1' }]);
    expect(await db.waits.cancel('v')).toBe(true);
    expect(await db.settle(victim)).toEqual(no('deadlock_victim'));
    expect(await db.settle(prepare(db, 'x', req(1, { cells: ['cell-2'] })))).toEqual(yes);
    expect(await db.waits.cancel('h')).toBe(false);
    expect((await db.waits.snapshot()).edges).toEqual([]);
  });

  it(`${target.name}: a deadlock inside one database: one of the two votes deadlock, the other gets its locks`, async () => {
    const db = await open({ domain: 'rm', cellCapacity: 5 });
    expect(await db.settle(prepare(db, 'h', req(1, { cells: ['cell-3'] })))).toEqual(yes);
    // b holds cell-2 and waits for h at cell-3; a holds cell-1 and waits for b at cell-2. h's rollback sends b
    // on to cell-1, held by a: a cycle, which PostgreSQL's deadlock check breaks.
    const b = prepare(db, 'b', req(1, { cells: ['cell-2', 'cell-3', 'cell-1'] }));
    await edgesSeen(db, 1);
    const a = prepare(db, 'a', req(1, { cells: ['cell-1', 'cell-2'] }));
    await edgesSeen(db, 2);
    expect(await db.store.rollbackPrepared('h')).toBe(true);
    const votes = [await db.settle(a), await db.settle(b)].map((v) => v.reason ?? 'yes').sort();
    expect(votes).toEqual(['deadlock', 'yes']);
  });

  it(`${target.name}: a prepared transaction survives a crash with its locks, and commits after`, async () => {
    const db = await open({ domain: 'rm' });
    await db.store.raiseToken(4);
    expect(await db.settle(prepare(db, 'p', req(4, { cells: ['cell-1'] })))).toEqual(yes);
    await db.store.precommit('p', 4);
    await db.crash();
    expect(await db.store.facts('p')).toEqual({ state: 'precommitted', token: 4 });
    expect((await db.store.prepared(10)).map((x) => x.txnId)).toEqual(['p']);
    expect(await countPrepared(db.evidence)).toBe(1);
    const waiter = prepare(db, 'w', req(5, { cells: ['cell-1'] }));
    expect(await edgesSeen(db, 1)).toEqual([{ txnId: 'w', waitsFor: 'p', resource: 'cell:cell-1' }]);
    expect(await db.store.commitPrepared('p')).toBe(true);
    expect(await db.settle(waiter)).toEqual(no('no_capacity'));
    expect(await used(db, 'cell-1')).toBe(1);
  });

  // The real server does not roll a waiting backend back when its client goes: with client_connection_check_interval
  // off it notices only when its lock wait ends, and the statements already sent may even run, PREPARE TRANSACTION
  // included. The model does what the simulator's crash asks (every unprepared transaction rolls back at once).
  it.skipIf(target.name === 'postgres')(
    `${target.name}: a crash rolls back a prepare waiting for a lock, and what it reserved is free`,
    async () => {
      const db = await open({ domain: 'rm' });
      expect(await db.settle(prepare(db, 'h', req(1, { cells: ['cell-1'] })))).toEqual(yes);
      void prepare(db, 'w', req(1, { cells: ['cell-2', 'cell-1'] }));
      await edgesSeen(db, 1);
      await db.crash();
      expect((await db.waits.snapshot()).edges).toEqual([]);
      expect(await db.settle(prepare(db, 'x', req(1, { cells: ['cell-2'] })))).toEqual(yes);
      expect(await db.store.facts('w')).toEqual({ state: 'unknown', token: null });
    },
  );

  it(`${target.name}: hold votes yes, no_credit, unknown_subscriber`, async () => {
    const db = await open({ domain: 'billing' });
    expect(await db.settle(prepare(db, 'a', req(1, { amount: 60 })))).toEqual(yes);
    await db.store.commitPrepared('a');
    expect(await db.settle(prepare(db, 'b', req(1, { amount: 41 })))).toEqual(no('no_credit'));
    expect(await db.settle(prepare(db, 'c', req(1, { amount: 40 })))).toEqual(yes);
    expect(await db.settle(prepare(db, 'd', req(1, { subscriberId: subscriber(9), amount: 1 })))).toEqual(
      no('unknown_subscriber'),
    );
    expect(await db.store.totals()).toEqual({ accounts: 3, balance: 240, held: 60, charged: 0, negative: [] });
  });

  it(`${target.name}: adjust_hold moves the hold up and down, votes no_credit, nothing_held, unknown_subscriber`, async () => {
    const db = await open({ domain: 'billing' });
    await db.settle(prepare(db, 'a', req(1, { amount: 30 })));
    await db.store.commitPrepared('a');
    const modify = (amount: number, before: number, subscriberId = subscriber(0)) =>
      req(1, { kind: 'modify', subscriberId, amount, release: { cells: [], amount: before } });
    expect(await db.settle(prepare(db, 'up', modify(80, 30)))).toEqual(yes);
    await db.store.commitPrepared('up');
    expect(await db.settle(prepare(db, 'down', modify(10, 80)))).toEqual(yes);
    await db.store.commitPrepared('down');
    expect(await db.settle(prepare(db, 'rich', modify(200, 10)))).toEqual(no('no_credit'));
    expect(await db.settle(prepare(db, 'gone', modify(5, 11)))).toEqual(no('nothing_held'));
    expect(await db.settle(prepare(db, 'who', modify(5, 0, subscriber(7))))).toEqual(no('unknown_subscriber'));
    const [acct] = await readAccounts(db.evidence, 'final', 0);
    expect(acct).toMatchObject({ accountId: subscriber(0), balance: 90, spent: 10, charged: 0 });
  });

  it(`${target.name}: settle charges the hold, votes nothing_held, unknown_subscriber`, async () => {
    const db = await open({ domain: 'billing' });
    await db.settle(prepare(db, 'a', req(1, { amount: 30 })));
    await db.store.commitPrepared('a');
    const release = (before: number, subscriberId = subscriber(0)) =>
      req(1, { kind: 'release', subscriberId, amount: 0, release: { cells: [], amount: before } });
    expect(await db.settle(prepare(db, 'more', release(31)))).toEqual(no('nothing_held'));
    expect(await db.settle(prepare(db, 'who', release(1, subscriber(8))))).toEqual(no('unknown_subscriber'));
    expect(await db.settle(prepare(db, 'r', release(30)))).toEqual(yes);
    await db.store.commitPrepared('r');
    expect(await db.store.totals()).toEqual({ accounts: 3, balance: 270, held: 0, charged: 30, negative: [] });
  });

  it(`${target.name}: the evidence readers read the same records`, async () => {
    for (const domain of ['rm', 'billing'] as const) {
      const db = await open({ domain, cellCapacity: 3 });
      // Each on a row of its own, so that none waits for another's prepared transaction.
      const body = (token: number, i: number) =>
        req(token, { cells: [`cell-${i + 2}`], subscriberId: subscriber(i), amount: 7 });
      expect(await db.settle(prepare(db, 'c', body(2, 0)))).toEqual(yes);
      await db.store.commitPrepared('c');
      await db.settle(db.store.tombstone('t', 3, 'ses-t', 'no_capacity'));
      expect(await db.settle(prepare(db, 'p', body(4, 1)))).toEqual(yes);
      expect(await db.settle(prepare(db, 'q', body(5, 2)))).toEqual(yes);
      await db.store.precommit('q', 6);
      const votes = new Map([
        ['c', { vote: 'yes' as const, token: 2 }],
        ['p', { vote: 'yes' as const, token: 4 }],
      ]);
      const toNs = (ms: number) => ms * 1e6;
      const txns = await readParticipantTxns(db.evidence, 'x', votes, toNs, (d) => ({ amount: Number(d.amount) }));
      for (const t of txns) expect(Number.isFinite(t.at)).toBe(true);
      expect(txns.map(({ at: _, ...t }) => t).sort((a, b) => a.txnId.localeCompare(b.txnId))).toEqual([
        {
          kind: 'participant',
          participant: 'x',
          txnId: 'c',
          vote: 'yes',
          state: 'committed',
          token: 2,
          action: 'create',
          amount: 7,
        },
        { kind: 'participant', participant: 'x', txnId: 't', state: 'aborted', token: 3 },
      ]);
      const left = await readLeftPrepared(db.evidence, 'x', votes, { toNs, nowNs: 1 });
      for (const r of left) expect(Number.isFinite(r.kind === 'prepared' ? r.preparedAt : r.at)).toBe(true);
      const gid = expect.stringMatching(/^n\d+:/);
      expect(left.map((r) => (r.kind === 'prepared' ? { ...r, preparedAt: 0 } : { ...r, at: 0 }))).toEqual(
        expect.arrayContaining([
          { kind: 'prepared', participant: 'x', gid, txnId: 'p', preparedAt: 0, observedAt: 1 },
          { kind: 'participant', participant: 'x', txnId: 'p', vote: 'yes', state: 'prepared', token: 4, at: 0 },
          { kind: 'prepared', participant: 'x', gid, txnId: 'q', preparedAt: 0, observedAt: 1 },
          { kind: 'participant', participant: 'x', txnId: 'q', state: 'precommitted', token: 6, at: 0 },
        ]),
      );
      expect(left).toHaveLength(4);
      expect(await countPrepared(db.evidence)).toBe(2);
      if (domain === 'rm') {
        expect(await readCells(db.evidence, 'final', 9)).toEqual([
          { kind: 'cell', cellId: 'cell-1', phase: 'final', capacity: 3, free: 3, used: 0, at: 9 },
          { kind: 'cell', cellId: 'cell-2', phase: 'final', capacity: 3, free: 2, used: 1, at: 9 },
          { kind: 'cell', cellId: 'cell-3', phase: 'final', capacity: 3, free: 3, used: 0, at: 9 },
          { kind: 'cell', cellId: 'cell-4', phase: 'final', capacity: 3, free: 3, used: 0, at: 9 },
        ]);
      } else {
        expect((await readAccounts(db.evidence, 'final', 9)).map((a) => [a.accountId, a.balance, a.spent])).toEqual([
          [subscriber(0), 93, 7],
          [subscriber(1), 100, 0],
          [subscriber(2), 100, 0],
        ]);
      }
      expect(await db.rules.totals(db.evidence)).toEqual(await db.store.totals());
    }
  });
});
