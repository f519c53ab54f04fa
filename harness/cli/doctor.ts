// `rig doctor`: what this machine offers, which provider a run would use and why, and proof that it starts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binaryVersion, findLocalBinaries } from '../env/binaries.ts';
import { probeDocker } from '../env/containers.ts';
import { decideProvider, openEnvironment, providerChoices } from '../env/index.ts';
import { smokeTest } from '../env/smoke.ts';
import { decideProxyBackend } from '../proxy/backend.ts';
import { type Command, choiceOption } from './command.ts';

export const doctor: Command = {
  name: 'doctor',
  summary: 'show which Redis/PostgreSQL provider a run would use, then start and stop it to prove it works',
  usage: 'rig doctor [--env auto|external|local|containers]\n\nExits 0 only if a run could start here.',
  options: { env: { type: 'string' } },
  async run(values) {
    const choice = choiceOption(values.env, 'env', providerChoices, 'auto');
    console.log(`node ${process.version} on ${process.platform}/${process.arch}`);
    console.log(
      `external:   ${process.env.REDIS_URL && process.env.DATABASE_URL ? 'REDIS_URL and DATABASE_URL set' : 'REDIS_URL/DATABASE_URL not set'}`,
    );
    const local = findLocalBinaries();
    if (local.found) {
      const b = local.found;
      console.log(`local:      ${binaryVersion(b.redisServer)} (${b.redisServer})`);
      console.log(`            ${binaryVersion(b.postgres)} (${b.postgres})`);
    } else {
      console.log(`local:      missing ${local.missing.join(', ')}`);
    }
    const docker = await probeDocker();
    console.log(`containers: ${docker.ok ? `available: ${docker.version}` : `unavailable: ${docker.reason}`}`);
    const proxyBackend = decideProxyBackend();
    console.log(`proxy:      ${proxyBackend.kind}: ${proxyBackend.why}`);

    let provider = choice;
    if (choice === 'auto') {
      const decision = await decideProvider();
      provider = decision.provider;
      console.log(`auto picks: ${decision.provider} (${decision.why})`);
    }
    const dir = mkdtempSync(join(tmpdir(), 'rig-doctor-'));
    const started = performance.now();
    const env = await openEnvironment({ provider, dir, runId: `doctor-${process.pid}` });
    const up = performance.now();
    try {
      const db = await env.createDatabase('doctor');
      const smoke = await smokeTest(env, db);
      console.log(`started:    ${env.description}`);
      console.log(
        `checked:    redis ${smoke.redisVersion} SET NX PX; postgres ${smoke.postgresVersion} PREPARE TRANSACTION/COMMIT PREPARED (max_prepared_transactions ${smoke.maxPreparedTransactions})`,
      );
    } finally {
      const stopping = performance.now();
      await env.stop();
      const stopped = performance.now();
      rmSync(dir, { recursive: true, force: true });
      console.log(`timing:     start ${Math.round(up - started)} ms, stop ${Math.round(stopped - stopping)} ms`);
    }
    console.log(`ok: a run can start here with --env ${provider}`);
    return 0;
  },
};
