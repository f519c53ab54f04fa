// The storage floor: the durable statements one session transaction needs, issued straight from this process at
// the same concurrency as the system was driven, on the same PostgreSQL, in databases of its own (created with
// the system's own migrations and seed, so the tables and indexes are the same). Per transaction:
//   coordinator  INSERT the intent row (fenced), committed on its own
//   rm, billing  BEGIN; INSERT participant_txn; UPDATE cells | accounts; PREPARE TRANSACTION   (in parallel)
//   3PC only     coordinator: the decision to pre-commit, fenced, in one statement
//                rm, billing: INSERT participant_precommit                                     (in parallel)
//   coordinator  the decision and its outbox row, fenced, in one statement
//   rm, billing  COMMIT PREPARED                                                               (in parallel)
//   coordinator  UPDATE txn closed (fenced)
// What the system does besides (HTTP hops, signing, scheduling, Redis DSM writes, non-durable reads, the relay)
// is exactly what the ratio system/floor prices. Every statement commits on its own, as the system's do today, and
// each is sent when the one before it has answered. The system's participants send a prepare's statements in one
// write (system/participant/store.ts): that saving is the system's own, so the floor does not copy it.
import postgres from 'postgres';
import { migrate as migrateDir } from '../../system/common/pg.ts';
import { migrate, type Param, type Queryable, Statements } from '../../system/common/statements.ts';
import { migrationsDir as coordinatorMigrations, txlogStatements as log } from '../../system/session-manager/txlog.ts';
import type { Environment } from '../env/types.ts';
import { postgresUrl } from '../env/types.ts';
import type { LevelFigures, Protocol } from './figures.ts';
import { cellsSeeded, reservation, sessionSpec, subscribersSeeded } from './requests.ts';
import { LevelTally } from './tally.ts';

const core = Statements.load('participant', new URL('../../system/participant/sql/', import.meta.url));
const rmSql = Statements.load('resource-manager', new URL('../../system/resource-manager/sql/', import.meta.url));
const billingSql = Statements.load('billing', new URL('../../system/billing/sql/', import.meta.url));

// The system's defaults (system/resource-manager/domain.ts, system/billing/domain.ts, participant config).
const cellCapacity = 1000;
const initialBalance = 100_000;
const lockTimeoutMs = 2000;
const token = 1;
const checkTokens = true;
const node = 'floor';

type Sql = postgres.Sql;

export interface FloorLevel {
  protocol: Protocol;
  concurrency: number;
  durationS: number;
  onStart?: (stop: () => void) => void;
}

export interface Floor {
  databases: { coordinator: string; rm: string; billing: string };
  run(level: FloorLevel): Promise<LevelFigures>;
  close(): Promise<void>;
}

function connect(env: Environment, db: string, max: number, participant: boolean): Sql {
  return postgres(postgresUrl(env.postgres, db), {
    max,
    // Give the connections back between levels: the system's pools need them while it is measured.
    idle_timeout: 2,
    connect_timeout: 10,
    onnotice: () => {},
    ...(participant ? { connection: { lock_timeout: lockTimeoutMs } } : {}),
  });
}

/** Creates the floor's databases with the system's schema and seed; pools of `poolMax` connections each. */
export async function openFloor(env: Environment, poolMax: number): Promise<Floor> {
  const [coordinatorDb, rmDb, billingDb] = await Promise.all(
    ['floor_coordinator', 'floor_rm', 'floor_billing'].map((n) => env.createDatabase(n)),
  );
  const databases = { coordinator: coordinatorDb!, rm: rmDb!, billing: billingDb! };
  const coord = connect(env, databases.coordinator, poolMax, false);
  const rm = connect(env, databases.rm, poolMax, true);
  const billing = connect(env, databases.billing, poolMax, true);
  let closed = false;
  const close = async () => {
    closed = true;
    await Promise.all([coord, rm, billing].map((s) => s.end({ timeout: 5 })));
  };
  try {
    await migrateDir(coord, coordinatorMigrations);
    await log.run(coord, 'fence_raise', [token]);
    await migrate(rm, [core, rmSql]);
    await rmSql.run(rm, 'seed', [cellsSeeded, cellCapacity]);
    await migrate(billing, [core, billingSql]);
    await billingSql.run(billing, 'seed', [subscribersSeeded, initialBalance]);
  } catch (err) {
    await close();
    throw err;
  }
  const dbs = { coord, rm, billing };
  let n = 0;
  return {
    databases,
    run: (level) =>
      runLevel(
        level,
        () => floorTxn(dbs, level.protocol, n++),
        () => closed,
      ),
    close,
  };
}

async function runLevel(level: FloorLevel, txn: () => Promise<void>, closed: () => boolean): Promise<LevelFigures> {
  const tally = new LevelTally();
  let stopped = false;
  level.onStart?.(() => {
    stopped = true;
  });
  const endAt = performance.now() + level.durationS * 1000;
  const worker = async () => {
    while (!stopped && !closed() && performance.now() < endAt) {
      const t0 = performance.now();
      try {
        await txn();
        tally.ok(performance.now() - t0);
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        tally.fail(typeof code === 'string' ? code : (err as Error).message.slice(0, 40));
      }
    }
  };
  await Promise.all(Array.from({ length: level.concurrency }, worker));
  return tally.finish(level.concurrency);
}

/** One participant's prepare, a statement at a time; a statement that cannot do its part raises (participant_refuse). */
async function prepare(sql: Sql, gid: string, params: Param[], reserve: (tx: Queryable) => Promise<unknown[]>) {
  await sql.begin(async (tx) => {
    await core.run(tx, 'txn_insert_committed', [...params, gid]);
    await reserve(tx);
    await tx.prepare(gid);
  });
}

async function floorTxn(db: { coord: Sql; rm: Sql; billing: Sql }, protocol: Protocol, n: number): Promise<void> {
  const spec = sessionSpec(n, protocol);
  const { cell, amount } = reservation(spec);
  const txnId = `ftxn-${n}`;
  const sessionId = `fses-${n}`;
  const request = db.coord.json({ ...spec, cells: [cell], amount });
  const intentParams = [txnId, sessionId, protocol, 'create', token, node, request, null];
  const [intent] = await log.run(db.coord, 'intent', [...intentParams, checkTokens]);
  if (!intent) throw new Error('intent refused');
  const detail = JSON.stringify({ subscriberId: spec.subscriberId, cells: [cell], amount });
  const params: Param[] = [txnId, token, sessionId, protocol, detail];
  const gids = { rm: `floor-rm:${txnId}`, billing: `floor-billing:${txnId}` };
  await Promise.all([
    prepare(db.rm, gids.rm, params, (tx) => rmSql.run(tx, 'reserve_cell', [cell])),
    prepare(db.billing, gids.billing, params, (tx) => billingSql.run(tx, 'hold', [spec.subscriberId, amount])),
  ]);
  if (protocol === '3pc') {
    const [precommitted] = await log.run(db.coord, 'precommit', [txnId, token, checkTokens]);
    if (!precommitted?.precommitted) throw new Error('pre-commit refused');
    await Promise.all([
      core.run(db.rm, 'precommit_insert', [txnId, token, gids.rm]),
      core.run(db.billing, 'precommit_insert', [txnId, token, gids.billing]),
    ]);
  }
  const [decided] = await log.run(db.coord, 'decide', [txnId, 'commit', null, token, node, Date.now(), checkTokens]);
  if (!decided?.decided) throw new Error('decision refused');
  await Promise.all([
    db.rm.unsafe(core.text('commit_prepared').replaceAll("':gid'", `'${gids.rm}'`)),
    db.billing.unsafe(core.text('commit_prepared').replaceAll("':gid'", `'${gids.billing}'`)),
  ]);
  await log.run(db.coord, 'close', [txnId, token]);
}
