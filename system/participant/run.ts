// The participant process: one call from a service's main.ts connects the real adapters (a Postgres pool, the
// store and wait reader over it, HTTP peers to the session managers) and builds the participant on them (build.ts).
import postgres, { type Sql } from 'postgres';
import type { Env } from '../common/config.ts';
import { Peer } from '../common/peer.ts';
import { type Runtime, runService, type ServiceParts } from '../common/service.ts';
import { migrate, Statements } from '../common/statements.ts';
import { buildParticipant } from './build.ts';
import { type ParticipantConfig, readParticipantConfig } from './config.ts';
import type { Domain } from './domain.ts';
import { InFlightPrepares } from './inflight.ts';
import { TxnStore } from './store.ts';
import { WaitGraph } from './waits.ts';

// A prepare that stalls mid-transaction (the process paused or wedged) would hold its row locks forever; Postgres
// ends such a session after this long, rolling the unprepared transaction back.
const idleInTransactionTimeoutMs = 30_000;
// Requests admitted at once per pool connection: beyond that the postgres.js queue would grow without bound.
export const inFlightPerConnection = 4;

export function runParticipant(service: Domain['service'], makeDomain: (env: Env) => Domain): void {
  void runService(service, async (rt) => {
    const config = readParticipantConfig(rt.env, rt.node);
    const domain = makeDomain(rt.env);
    const sql = connectPool(service, rt.node, config);
    try {
      return await startParticipant(rt, config, domain, sql);
    } catch (err) {
      await sql.end({ timeout: 1 }).catch(() => {});
      throw err;
    }
  });
}

function connectPool(service: string, node: string, config: ParticipantConfig): Sql {
  return postgres(config.databaseUrl, {
    max: config.poolMax,
    connect_timeout: 10,
    onnotice: () => {},
    connection: {
      application_name: `${service}:${node}`,
      lock_timeout: config.lockTimeoutMs,
      idle_in_transaction_session_timeout: idleInTransactionTimeoutMs,
    },
  });
}

/** The real adapters (Postgres store and wait reader, HTTP peers) around the participant that build.ts assembles. */
async function startParticipant(
  rt: Runtime,
  config: ParticipantConfig,
  domain: Domain,
  sql: Sql,
): Promise<ServiceParts> {
  const core = Statements.load('participant', new URL('./sql/', import.meta.url));
  await migrate(sql, [core, domain.statements]);
  await domain.seed(sql);
  const inflight = new InFlightPrepares();
  const store = new TxnStore(sql, rt.node, core, domain, rt.clock, inflight);
  const waits = new WaitGraph(sql, core, inflight, `${rt.node}:`, rt.node, rt.logger, rt.clock, config.waitsIntervalMs);
  const managers = new Map(
    [...config.sessionManagers].map(([name, url]) => [
      name,
      new Peer(name, url, rt.ring, rt.clock, { maxSockets: 8, random: rt.random }),
    ]),
  );
  const closePeers = () => {
    for (const peer of managers.values()) peer.close();
  };
  let parts: ServiceParts;
  try {
    parts = await buildParticipant({
      config,
      inFlightMax: config.poolMax * inFlightPerConnection,
      store,
      waits,
      fenceStore: store,
      domain,
      clock: rt.clock,
      logger: rt.logger,
      registry: rt.metrics.registry,
      faults: rt.faults,
      managers,
    });
  } catch (err) {
    closePeers();
    throw err;
  }
  waits.start();
  return {
    ...parts,
    close: async () => {
      await parts.close();
      await waits.stop();
      closePeers();
      await sql.end({ timeout: 5 });
    },
  };
}
