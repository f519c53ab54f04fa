// A cluster whose every link goes through the built-in fault proxy, over a local environment: started before a
// file's tests, stopped (with its directory removed) after them. Lease TTL 1 s, so failovers are quick.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { type Cluster, startCluster } from '../../cluster/cluster.ts';
import { type LocalEnvironmentHandle, startLocal } from '../../env/local.ts';
import { Network } from '../../nemesis/links.ts';
import { openProxyBackend, type ProxyBackend } from '../../proxy/backend.ts';

export interface ProxiedCluster {
  dir: string;
  env: LocalEnvironmentHandle;
  proxy: ProxyBackend;
  net: Network;
  cluster: Cluster;
}

/** Registers the hooks; the fields are set once the file's `beforeAll` hooks have run. */
export function proxiedCluster(name: string, nodes: number): ProxiedCluster {
  const s = {} as Partial<ProxiedCluster>;
  beforeAll(async () => {
    s.dir = mkdtempSync(join(tmpdir(), `rig-${name}-`));
    s.env = await startLocal({ dir: join(s.dir, 'servers') });
    s.proxy = await openProxyBackend({ kind: 'builtin', seed: 1 });
    s.net = new Network(s.proxy.url);
    const extraEnv = { RIG_LEASE_TTL_MS: '1000' };
    s.cluster = await startCluster({ env: s.env, dir: s.dir, nodes, seed: 1, link: s.net.link, extraEnv });
  });
  afterAll(async () => {
    await s.cluster?.stop();
    await s.proxy?.stop();
    await s.env?.stop();
    if (s.dir) rmSync(s.dir, { recursive: true, force: true });
  });
  return s as ProxiedCluster;
}
