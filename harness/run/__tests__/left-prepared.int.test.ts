// Issue 29: a transaction left prepared is evidence of an unfinished transaction, not of a fencing failure. The
// participant rm is crashed between its PREPARE TRANSACTION and its vote (crash point armed through its signed
// /admin/faults) and is not restarted, so the prepare stays in pg_prepared_xacts and no log line ever gave its
// token. The run's own collector then writes the evidence, and the checkers read it back from the files: liveness
// and atomicity report the prepare left behind; single-leader reports nothing, and counts the record it could not
// judge for lack of a token.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { atomicity } from '../../../checkers/atomicity.ts';
import { liveness } from '../../../checkers/liveness.ts';
import { singleLeader } from '../../../checkers/single-leader.ts';
import { loadObservationsDir } from '../../../format/run-dir.ts';
import {
  eventually,
  type SystemFixture,
  setFaults,
  startSystem,
  subscriber,
} from '../../../system/__tests__/support.ts';
import { countPrepared } from '../../../system/participant/evidence.ts';
import { collectFinal } from '../collect.ts';

let sys: SystemFixture;
beforeAll(async () => {
  sys = await startSystem({ nodes: 1 });
});
afterAll(async () => {
  await sys?.stop();
});

it('reports a prepare left behind as unfinished, never as a stale token', async () => {
  // First a commit, so rm has accepted a write under the leader's token (a token 0 after it read as stale).
  const first = await sys.createSession({ subscriberId: subscriber(0), trafficClass: 'voice', protocol: '2pc' });
  expect(first.status, JSON.stringify(first.body)).toBe(201);
  await setFaults(sys, 'rm', { crashPoints: ['participant-after-prepare-before-vote'] });
  const session = sys.createSession({ subscriberId: subscriber(1), trafficClass: 'voice', protocol: '2pc' });
  await sys.cluster.services.get('rm')!.proc.exited;
  await session.catch(() => undefined); // the client's answer does not matter here
  await eventually(async () => ((await countPrepared(sys.db.rm)) > 0 ? true : undefined), 'the prepare left at rm');

  mkdirSync(join(sys.dir, 'observations'), { recursive: true });
  const problems = await collectFinal({
    runDir: sys.dir,
    redis: sys.redis,
    coordinator: sys.db.coordinator,
    participants: { rm: sys.db.rm, billing: sys.db.billing },
    smNodes: sys.cluster.nodes,
    wallToNs: (ms) => ms * 1e6,
    nowNs: Date.now() * 1e6,
  });
  expect(problems).toEqual([]);
  const { observations } = loadObservationsDir(join(sys.dir, 'observations'));
  const left = observations.participant.filter((p) => p.participant === 'rm' && p.state === 'prepared');
  expect(left).toHaveLength(1);
  expect(left[0]!.token).toBeUndefined();
  expect(observations.prepared.map((p) => p.participant)).toEqual(['rm']);
  expect(observations.participant.some((p) => p.participant === 'rm' && p.state === 'committed')).toBe(true);

  const leader = singleLeader.check([], observations, {});
  expect(leader.anomalies).toEqual([]);
  expect(leader.stats).toMatchObject({ skippedWithoutToken: 1 });
  expect(liveness.check([], observations, {}).anomalies.map((a) => a.type)).toContain('prepared-left');
  expect(atomicity.check([], observations, {}).anomalies.map((a) => a.type)).toContain('left-prepared');
});
