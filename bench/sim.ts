// What simulation costs beside real runs (issues 23, 24), on this machine:
// - one run in each mode with the same options and seed: `rig run` on real processes, servers and sockets and
//   `rig sim` in one process on virtual time, both without faults so they do the same work; the wall-clock time
//   of each, the ops each completed and the simulated run's events;
// - exploration: `rig sim --seeds` over `--seeds` seeds of the default run (faults included), with 1 worker and
//   with 2, in seeds per minute (each seed simulated and checked).
// A benchmark: it asserts nothing.
//
//   npx tsx bench/sim.ts [--seed N] [--time-limit S] [--workload NAME] [--seeds N]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '7' },
    'time-limit': { type: 'string', default: '30' },
    workload: { type: 'string', default: 'sessions' },
    seeds: { type: 'string', default: '30' },
  },
});
const store = mkdtempSync(join(tmpdir(), 'bench-sim-'));
const common = ['--workload', values.workload, '--time-limit', values['time-limit'], '--seed', values.seed];
common.push('--store', store);

function timed(command: string, extra: string[]): { seconds: number; exit: number | null; out: string } {
  const started = performance.now();
  const r = spawnSync(process.execPath, ['bin/rig.js', command, ...common, ...extra], { encoding: 'utf8' });
  return { seconds: (performance.now() - started) / 1000, exit: r.status, out: `${r.stdout}${r.stderr}` };
}

const ops = (out: string) => /ok (\d+), fail (\d+), info (\d+)/.exec(out)?.slice(1).map(Number) ?? [];
try {
  const real = timed('run', ['--nemesis', 'none']);
  const sim = timed('sim', ['--nemesis', 'none']);
  const events = /(\d+) events/.exec(sim.out)?.[1];
  console.log(`workload ${values.workload}, ${values['time-limit']} s, seed ${values.seed}, no faults`);
  console.log(
    `real  ${real.seconds.toFixed(1)} s wall, exit ${real.exit}, ops ok/fail/info ${ops(real.out).join('/')}`,
  );
  console.log(
    `sim   ${sim.seconds.toFixed(1)} s wall, exit ${sim.exit}, ops ok/fail/info ${ops(sim.out).join('/')}, ${events} events`,
  );
  console.log(`ratio real/sim ${(real.seconds / sim.seconds).toFixed(1)}x`);
  if (real.exit !== 0 || sim.exit !== 0) console.log(`outputs:\n--- real\n${real.out}\n--- sim\n${sim.out}`);
  const last = Number(values.seeds);
  for (const workers of [1, 2]) {
    const r = spawnSync(
      process.execPath,
      ['bin/rig.js', 'sim', '--seeds', `1..${last}`, '--workers', String(workers), '--keep-going', '--store', store],
      { encoding: 'utf8' },
    );
    const summary = `${r.stdout}`.split('\n').find((l) => / seeds in /.test(l)) ?? `exit ${r.status}: ${r.stderr}`;
    console.log(
      `explore default run (30 s, partition,kill,pause), ${workers} worker${workers > 1 ? 's' : ''}: ${summary}`,
    );
  }
} finally {
  rmSync(store, { recursive: true, force: true });
}
