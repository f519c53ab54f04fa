// `rig up`: the whole system running locally, until Ctrl-C or SIGTERM; then nothing is left behind.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freshSeed } from '../../lib/rng.ts';
import { startCluster, waitForLeader } from '../cluster/cluster.ts';
import { openEnvironment, providerChoices } from '../env/index.ts';
import { onShutdown, stopWhenOrphaned } from '../process/lifecycle.ts';
import { type Command, choiceOption, intOption } from './command.ts';

/** Stream entries and DSM audit entries `rig up` keeps. */
const upKeep = 100_000;

export const up: Command = {
  name: 'up',
  summary: 'start Redis, PostgreSQL and every service, print the gateway URL, run until Ctrl-C',
  usage: [
    'rig up [--gateway-port N] [--nodes N] [--env auto|external|local|containers] [--dir DIR] [--seed N]',
    '',
    '  --gateway-port  port for the edge gateway on 127.0.0.1 (default: a free one)',
    '  --nodes         session managers to run (default 3)',
    '  --dir           where servers keep data and services write logs (default store/up/<time>)',
  ].join('\n'),
  options: {
    'gateway-port': { type: 'string' },
    nodes: { type: 'string' },
    env: { type: 'string' },
    dir: { type: 'string' },
    seed: { type: 'string' },
  },
  async run(values) {
    const gatewayPort = intOption(values['gateway-port'], 'gateway-port', 1, 65535, 0);
    const nodes = intOption(values.nodes, 'nodes', 1, 9, 3);
    const provider = choiceOption(values.env, 'env', providerChoices, 'auto');
    const seed = intOption(values.seed, 'seed', 0, Number.MAX_SAFE_INTEGER, freshSeed());
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const dir = resolve(typeof values.dir === 'string' ? values.dir : join('store', 'up', stamp));
    mkdirSync(dir, { recursive: true });
    const env = await openEnvironment({ provider, dir, runId: `up-${stamp}` });
    let stopCluster: (() => Promise<void>) | undefined;
    const teardown = async () => {
      await stopCluster?.();
      await env.stop();
    };
    onShutdown(teardown);
    stopWhenOrphaned();
    try {
      // Left running for hours, the event stream and the DSM audit list would grow without end: keep the newest.
      const extraEnv = { RIG_STREAM_MAXLEN: String(upKeep), RIG_DSM_AUDIT_MAXLEN: String(upKeep) };
      const cluster = await startCluster({ env, dir, nodes, seed, extraEnv, ...(gatewayPort ? { gatewayPort } : {}) });
      stopCluster = () => cluster.stop();
      const leader = await waitForLeader(cluster.gatewayUrl, 30_000);
      console.log(`gateway ${cluster.gatewayUrl}`);
      console.log(`leader ${leader}; logs in ${join(dir, 'logs')}; Ctrl-C stops everything`);
    } catch (err) {
      await teardown();
      throw err;
    }
    // Run until a signal: the shutdown handler tears down and exits.
    await new Promise(() => {});
    return 0;
  },
};
