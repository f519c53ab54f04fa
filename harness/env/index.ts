// Choosing an environment: `auto` tries external, then local, then containers (DESIGN section 3).
import { join } from 'node:path';
import type { ProviderChoice } from '../../format/config.ts';
import { findLocalBinaries } from './binaries.ts';
import { probeDocker, startContainers } from './containers.ts';
import { useExternal } from './external.ts';
import { startLocal } from './local.ts';
import { type Environment, EnvironmentConfigError, EnvironmentUnavailableError, type ProviderName } from './types.ts';

// The choices are part of a stored run's config.json (`options.env`), so the run format defines them.
export { type ProviderChoice, providerChoices } from '../../format/config.ts';

export interface EnvironmentRequest {
  provider: ProviderChoice;
  /** Directory for the local provider's data and logs. */
  dir: string;
  /** Names this run's keys and databases on shared (external) servers. */
  runId: string;
  env?: NodeJS.ProcessEnv;
}

export interface ProviderDecision {
  provider: ProviderName;
  why: string;
}

export const noProviderMessage = [
  'No Redis/PostgreSQL is available to this run. Any one of these works:',
  '  external:   set REDIS_URL=redis://host:6379 and DATABASE_URL=postgres://user:pass@host:5432/postgres',
  '  local:      install the servers, e.g. on Debian/Ubuntu: apt-get install redis-server postgresql',
  '  containers: run a Docker engine this user can reach (testcontainers starts redis:7 and postgres:16)',
].join('\n');

/** Decides which provider `auto` means here, and why, without starting anything. */
export async function decideProvider(env: NodeJS.ProcessEnv = process.env): Promise<ProviderDecision> {
  if (env.REDIS_URL && env.DATABASE_URL) return { provider: 'external', why: 'REDIS_URL and DATABASE_URL are set' };
  const local = findLocalBinaries();
  if (local.found) {
    return {
      provider: 'local',
      why: `found ${local.found.redisServer}, ${local.found.initdb} and ${local.found.postgres}`,
    };
  }
  const docker = await probeDocker();
  if (docker.ok) return { provider: 'containers', why: `a container runtime answers: ${docker.version}` };
  throw new EnvironmentUnavailableError(
    `${noProviderMessage}\n(REDIS_URL/DATABASE_URL unset; local: missing ${local.missing.join(', ')}; containers: ${docker.reason})`,
  );
}

export async function openEnvironment(req: EnvironmentRequest): Promise<Environment> {
  const env = req.env ?? process.env;
  const provider = req.provider === 'auto' ? (await decideProvider(env)).provider : req.provider;
  switch (provider) {
    case 'external':
      if (!env.REDIS_URL || !env.DATABASE_URL) {
        throw new EnvironmentConfigError('the external provider needs both REDIS_URL and DATABASE_URL set');
      }
      return useExternal({ redisUrl: env.REDIS_URL, databaseUrl: env.DATABASE_URL, runId: req.runId });
    case 'local':
      return startLocal({ dir: join(req.dir, 'servers') });
    case 'containers':
      return startContainers();
  }
}

export type { Environment } from './types.ts';
export { EnvironmentConfigError, EnvironmentUnavailableError, postgresUrl, redisUrl } from './types.ts';
