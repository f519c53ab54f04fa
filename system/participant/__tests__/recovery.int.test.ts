// Proves a participant's yes vote survives its own crash (SIGKILL after prepare: the transaction is still prepared
// after restart, the fencing token is still known, and the commit applies), and that a transaction left prepared
// past RIG_DECISION_QUERY_AFTER_MS is resolved by asking the session managers: here two tiny fake managers, one
// answering `not_leader` with a hint to the other, which answers from a table the test fills in.
import { createServer, type Server } from 'node:http';
import type postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../../../harness/cluster/service-process.ts';
import { closeServer, listen } from '../../common/http-server.ts';
import { Fixture, type ParticipantClient, waitFor } from './fixture.ts';

let fx: Fixture;
let rmProc: RunningService;
let rm: ParticipantClient;
let rmDb: postgres.Sql;
const servers: Server[] = [];
/** What the fake leader answers, by txn id (default: undecided). */
const decisions = new Map<string, { decision: 'commit' | 'abort'; token: number }>();
const decisionRequests: string[] = [];

function fakeManager(answer: (txnId: string) => { status: number; body: unknown }): Server {
  const server = createServer((req, res) => {
    const match = /^\/v1\/txn\/([^/]+)\/decision$/.exec(req.url ?? '');
    const signed = typeof req.headers['x-rig-signature'] === 'string';
    const reply = match && req.method === 'GET' && signed ? answer(match[1]!) : { status: 404, body: {} };
    res.writeHead(reply.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(reply.body));
  });
  servers.push(server);
  return server;
}

const rmEnv: Record<string, string> = { RIG_CELLS: '10', RIG_CELL_CAPACITY: '5', RIG_DECISION_QUERY_AFTER_MS: '300' };

beforeAll(async () => {
  fx = await Fixture.start();
  const follower = fakeManager(() => ({ status: 503, body: { code: 'not_leader', leader: 'sm-2' } }));
  const leader = fakeManager((txnId) => {
    decisionRequests.push(txnId);
    return { status: 200, body: decisions.get(txnId) ?? { decision: 'undecided', token: 1 } };
  });
  const [followerPort, leaderPort] = await Promise.all([listen(follower, 0), listen(leader, 0)]);
  rmEnv.RIG_SESSION_MANAGERS = `sm-1=http://127.0.0.1:${followerPort},sm-2=http://127.0.0.1:${leaderPort}`;
  rmProc = await fx.startParticipant('resource-manager', 'rm', 'rm', rmEnv);
  rm = fx.client(rmProc);
  rmDb = fx.db('rm');
});

afterAll(async () => {
  await Promise.all(servers.map((s) => closeServer(s)));
  await fx?.stop();
});

async function used(cell: string): Promise<number> {
  const [row] = await rmDb`SELECT used FROM cells WHERE id = ${cell}`;
  return Number(row?.used);
}
const body = (token: number, cells: string[]) => ({
  token,
  kind: 'create',
  subscriberId: 'imsi-001010000000001',
  cells,
  amount: 0,
});

describe('participant recovery', () => {
  it('keeps a yes vote across SIGKILL and restart, then commits it when told', async () => {
    expect((await rm.prepare('k1', body(3, ['cell-1']))).body).toEqual({ vote: 'yes' });
    rmProc.proc.signal('SIGKILL');
    await rmProc.proc.exited;
    rmProc = await fx.startParticipant('resource-manager', 'rm', 'rm', rmEnv, rmProc.port);
    const gids = await rmDb`SELECT gid FROM pg_prepared_xacts WHERE database = current_database()`;
    expect(gids.map((r) => r.gid)).toEqual(['rm:k1']);
    expect((await rm.status('k1')).body).toEqual({ txnId: 'k1', state: 'prepared', token: null });
    expect(await used('cell-1')).toBe(0);
    // The highest token was persisted before the prepare acted on it.
    expect(await rm.commit('k1', 2)).toMatchObject({ status: 409, body: { code: 'stale_token', highest: 3 } });
    expect(await rm.commit('k1', 3)).toEqual({ status: 200, body: { state: 'committed' } });
    expect(await used('cell-1')).toBe(1);
    // The restart did not seed again.
    expect((await rm.state()).body).toMatchObject({ cells: 10, capacity: 50, used: 1, prepared: [] });
  });

  it('asks the leader about a transaction prepared too long and applies its commit or abort', async () => {
    expect((await rm.prepare('q1', body(4, ['cell-2']))).body).toEqual({ vote: 'yes' });
    expect((await rm.prepare('q2', body(4, ['cell-3']))).body).toEqual({ vote: 'yes' });
    expect((await rm.prepare('q3', body(4, ['cell-4']))).body).toEqual({ vote: 'yes' });
    // Undecided: the participant keeps asking and keeps the transaction prepared.
    await waitFor('a decision query about q1', async () => (decisionRequests.includes('q1') ? true : undefined));
    expect((await rm.status('q1')).body).toMatchObject({ state: 'prepared' });

    decisions.set('q1', { decision: 'commit', token: 5 });
    decisions.set('q2', { decision: 'abort', token: 5 });
    for (const [txnId, state] of [
      ['q1', 'committed'],
      ['q2', 'aborted'],
    ] as const) {
      await waitFor(`${txnId} ${state}`, async () => {
        const reply = await rm.status(txnId);
        return reply.body.state === state ? true : undefined;
      });
    }
    expect([await used('cell-2'), await used('cell-3')]).toEqual([1, 0]);
    expect((await rm.status('q3')).body).toMatchObject({ state: 'prepared' });
    expect(fx.observations('rm', 'participant-state')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ txnId: 'q1', state: 'committed', token: 5, via: 'decision-query' }),
        expect.objectContaining({ txnId: 'q2', state: 'aborted', token: 5, via: 'decision-query' }),
      ]),
    );
    expect(fx.observations('rm', 'decision-query')).toContainEqual(
      expect.objectContaining({ txnId: 'q1', answer: 'commit', from: 'sm-2' }),
    );
    // Two commits on this process: k1 (told by the test after the restart) and q1 (by the decision query).
    const metrics = await fetch(`${rmProc.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/rig_participant_decisions_total\{[^}]*state="committed"[^}]*\} 2/);
    await rm.abort('q3', 5);
    await waitFor('in-doubt gauge at 0', async () => {
      const text = await fetch(`${rmProc.url}/metrics`).then((r) => r.text());
      return /rig_participant_in_doubt\{[^}]*\} 0\b/.test(text) ? true : undefined;
    });
  });

  it('votes deadlock when Postgres picks its prepare as the victim of a lock cycle', async () => {
    // The test's own transaction holds cell-6; the prepare locks cell-5 then waits for cell-6; the test then asks
    // for cell-5, closing the cycle. The prepare began waiting first, so its deadlock check (deadlock_timeout, 1 s,
    // shorter than the 2 s lock_timeout) runs first and aborts it.
    let vote: Promise<{ body: Record<string, unknown> }> | undefined;
    let testWasVictim = false;
    await rmDb
      .begin(async (tx) => {
        await tx`SELECT used FROM cells WHERE id = 'cell-6' FOR UPDATE`;
        vote = rm.prepare('d1', body(5, ['cell-5', 'cell-6']));
        await waitFor('the prepare to wait for cell-6', async () => {
          const [row] = await rmDb`SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = 'rm' AND wait_event_type = 'Lock' AND application_name LIKE 'resource-manager:%'`;
          return row?.n === 1 ? true : undefined;
        });
        await tx`SELECT used FROM cells WHERE id = 'cell-5' FOR UPDATE`.catch((err: { code?: string }) => {
          if (err.code !== '40P01') throw err;
          testWasVictim = true; // a very slow machine ran our check first; the prepare then goes through
        });
      })
      .catch((err: { code?: string }) => {
        if (err.code !== '40P01') throw err;
      });
    const reply = (await vote!).body;
    expect(reply).toEqual(testWasVictim ? { vote: 'yes' } : { vote: 'no', reason: 'deadlock' });
    if (testWasVictim) await rm.abort('d1', 5);
    expect([await used('cell-5'), await used('cell-6')]).toEqual([0, 0]);
    expect((await rm.status('d1')).body).toMatchObject({ state: 'aborted' });
  });

  it('stops cleanly on SIGTERM', async () => {
    expect(await rmProc.proc.stop('SIGTERM', 10_000)).toEqual({ code: 0, signal: null });
  });
});
