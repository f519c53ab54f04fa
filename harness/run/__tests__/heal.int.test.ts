// Proves a final heal that fails is recorded truthfully and heals what it can: with toxics on two links, one link's
// proxy removed behind the rig's back (so removing its toxics fails for real, 404), billing killed and the gateway
// paused, the final heal's completion is an `info` whose error names that link's toxics and nothing else, whose value
// says which link it healed and which process it restarted; and those other steps really happened.
import { join } from 'node:path';
import { Toxiproxy } from 'toxiproxy-node-client';
import { describe, expect, it } from 'vitest';
import { loadHistoryFile } from '../../../format/run-dir.ts';
import { Rng } from '../../../lib/rng.ts';
import { systemClock } from '../../../system/common/clock.ts';
import { HealSteps } from '../../nemesis/heal.ts';
import { HistoryWriter } from '../history.ts';
import { realTarget, runNemeses } from '../nemesis-loop.ts';
import { proxiedCluster } from './proxied-cluster.ts';

const sys = proxiedCluster('heal', 1);

describe('final heal', () => {
  it('records each failed step as the error of an info op, and still does every other step', async () => {
    const { dir, env, proxy, net, cluster } = sys;
    await net.cut(['sm-1->redis', 'rm->postgres']);
    await (await new Toxiproxy(proxy.url).get('rm->postgres')).remove();
    await cluster.kill('billing');
    cluster.pause('gateway');

    const history = new HistoryWriter(join(dir, 'history.jsonl'));
    const target = realTarget(net, cluster, env, 1000);
    await runNemeses({
      // One window far ahead, and the run already stopped: the loop goes straight to the final heal.
      schedule: [{ nemesis: 'kill', variant: 'participant', startMs: 3_600_000, endMs: 3_601_000 }],
      stop: AbortSignal.abort(),
      history,
      target,
      rng: new Rng(1),
      clock: systemClock(),
      onFault: () => {},
    }).finally(() => target.close());
    history.close();

    const ops = loadHistoryFile(join(dir, 'history.jsonl')).history.filter((o) => o.process === 'nemesis');
    expect(ops.map((o) => `${o.type} ${o.f}`)).toEqual(['invoke final-heal', 'info final-heal']);
    const { error, value } = ops[1]!;
    const refused = (stream: string) => `remove toxic rig-timeout-${stream}-\\d+ from rm->postgres: [^;]*404`;
    expect(error).toMatch(new RegExp(`^${refused('upstream')}; ${refused('downstream')}$`));
    expect(value).toEqual({ healed: ['sm-1->redis'], restarted: ['billing'] });

    // The other steps really ran: sm-1->redis is clean, billing runs, and the gateway (resumed) answers.
    const toxics = await fetch(`${proxy.url}/proxies/sm-1->redis/toxics`).then((r) => r.json());
    expect(toxics).toEqual([]);
    expect(cluster.services.get('billing')?.proc.running).toBe(true);
    const gateway = await fetch(`${cluster.gatewayUrl}/healthz`, { signal: AbortSignal.timeout(10_000) });
    expect(gateway.status).toBe(200);

    // A toxic that could not be removed stays listed, so a later heal tries it again.
    const again = new HealSteps();
    expect(await net.heal(again)).toEqual([]);
    expect(() => again.finish({})).toThrow(/from rm->postgres/);
  });
});
