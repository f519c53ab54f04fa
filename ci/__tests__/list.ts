// Runs `ci/nightly.sh --list` (the dry run: it prints the units a shard would run and starts nothing) for the tests.
import { spawnSync } from 'node:child_process';

export interface Listed {
  status: number | null;
  units: string[];
  stderr: string;
}

/**
 * The units of `NIGHTLY_SHARD=shard` under the given knobs; any NIGHTLY_* of the caller's environment is dropped.
 * NIGHTLY_DRY_RUN=1 as well as --list, unless the knobs say otherwise: a test must never start a real night.
 */
export function listUnits(shard: string | undefined, knobs: Record<string, string>, args = ['--list']): Listed {
  const env: Record<string, string> = { NIGHTLY_DRY_RUN: '1' };
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('NIGHTLY_') && v !== undefined) env[k] = v;
  if (shard !== undefined) env.NIGHTLY_SHARD = shard;
  const r = spawnSync('bash', ['ci/nightly.sh', ...args], { env: { ...env, ...knobs }, encoding: 'utf8' });
  return { status: r.status, units: r.stdout.split('\n').filter((l) => l !== ''), stderr: r.stderr };
}

/** Each shard's units of an n-way split; throws when a shard's listing fails. */
export function shardLists(n: number, knobs: Record<string, string>): string[][] {
  return Array.from({ length: n }, (_, i) => {
    const listed = listUnits(`${i + 1}/${n}`, knobs);
    if (listed.status !== 0) throw new Error(`shard ${i + 1}/${n}: exit ${listed.status}: ${listed.stderr}`);
    return listed.units;
  });
}
