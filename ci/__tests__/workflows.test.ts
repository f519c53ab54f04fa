// The GitHub workflows (.github/workflows/) parse as YAML and call what exists, as it accepts: the nightly's job matrix
// is shards 1..n and passes NIGHTLY_SHARD=i/n for each, which ci/nightly.sh takes (its dry run, for every shard,
// splits the night exactly); every NIGHTLY_* variable it sets is a knob of the script; each shard's artifact is one the
// merge job downloads; the merge job's own script, run here on hand-made shard stores, merges them with
// `rig report --index --night` and exits with the night's code. ci.yml runs .ci/run, which runs the README's test.
import { spawnSync } from 'node:child_process';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { writeSyntheticRun } from '../../reports/__tests__/fixtures.ts';
import { listUnits, shardLists } from './list.ts';

// The merge runs `rig` under tsx, twice: seconds each on a busy machine.
vi.setConfig({ testTimeout: 60_000 });

const root = mkdtempSync(join(tmpdir(), 'workflows-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Step {
  uses?: string;
  run?: string;
  name?: string;
  with?: Record<string, string>;
  env?: Record<string, string>;
}
interface Job {
  needs?: string | string[];
  if?: string;
  env?: Record<string, string>;
  strategy?: { matrix?: Record<string, unknown> };
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, Job>;
}

const workflow = (name: string) => parse(readFileSync(`.github/workflows/${name}.yml`, 'utf8')) as Workflow;
const executable = (path: string) => {
  accessSync(path, constants.X_OK);
  return true;
};
/** A GitHub expression as the workflow writes it: expr('matrix.shard') is "${{ matrix.shard }}". */
const expr = (e: string) => `\${{ ${e} }}`;
/** The knobs ci/nightly.sh documents in its header ("#   NIGHTLY_NAME ..."). */
const knobs = () => [...readFileSync('ci/nightly.sh', 'utf8').matchAll(/^#\s+(NIGHTLY_[A-Z_]+)\s/gm)].map((m) => m[1]);

/** Runs a step's script as the runner would (bash -e), with env, from the repository root. */
function runStep(step: Step | undefined, env: Record<string, string>) {
  expect(step?.run, 'a run step').toBeDefined();
  expect(step!.run, 'no GitHub expression inside a script').not.toContain(expr('').slice(0, 3));
  return spawnSync('bash', ['-e', '-c', step!.run!], { env: { ...process.env, ...env }, encoding: 'utf8' });
}

describe('.github/workflows/nightly.yml', () => {
  const wf = workflow('nightly');
  const { plan, shard, merge } = wf.jobs;

  it('is scheduled, and its plan step gives one seed base: the given one, or the UTC date x 1000', () => {
    expect(wf.on).toHaveProperty('schedule');
    expect(wf.on).toHaveProperty('workflow_dispatch');
    const step = plan!.steps.find((s) => s.run?.includes('seed_base'));
    for (const [given, expected] of [
      ['', /^seed_base=20\d{6}000$/],
      ['20260101000', /^seed_base=20260101000$/],
    ] as const) {
      const output = join(root, `plan-${given || 'today'}`);
      expect(runStep(step, { GIVEN: given, GITHUB_OUTPUT: output }).status).toBe(0);
      expect(readFileSync(output, 'utf8').trim()).toMatch(expected);
    }
  });

  it('runs shards 1..n as NIGHTLY_SHARD=i/n, which ci/nightly.sh takes and which together are the whole night', () => {
    const shards = shard!.strategy?.matrix?.shard as number[];
    const n = shards.length;
    expect(n).toBeGreaterThan(1);
    expect(shards).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    const spec = shard!.env!.NIGHTLY_SHARD!;
    expect(spec).toBe(`${expr('matrix.shard')}/${n}`);
    const env = { NIGHTLY_SEED_BASE: '20261207000', NIGHTLY_STORE: join(root, 'never') };
    const lists = shardLists(n, env);
    for (const [i, list] of lists.entries()) {
      expect(listUnits(spec.replace(expr('matrix.shard'), String(shards[i])), env).units).toEqual(list);
    }
    expect(lists.flat().sort()).toEqual(listUnits('1/1', env).units.sort());
    expect(existsSync(env.NIGHTLY_STORE)).toBe(false);
  });

  it('sets only knobs of ci/nightly.sh, and runs scripts that exist', () => {
    const documented = knobs();
    expect(documented).toContain('NIGHTLY_SHARD');
    for (const job of [shard!, merge!]) {
      for (const name of Object.keys(job.env ?? {}).filter((k) => k.startsWith('NIGHTLY_'))) {
        expect(documented, name).toContain(name);
      }
    }
    const runs = shard!.steps.flatMap((s) => (s.run ? [s.run] : []));
    expect(runs).toContain('ci/install.sh');
    expect(runs).toContain('ci/nightly.sh');
    expect(executable('ci/install.sh') && executable('ci/nightly.sh')).toBe(true);
  });

  it("uploads each shard's store as an artifact the merge job downloads", () => {
    const upload = shard!.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
    expect(upload?.with?.path).toBe(`${shard!.env!.NIGHTLY_STORE}/`);
    const name = upload!.with!.name!.replace(expr('matrix.shard'), '3');
    const download = merge!.steps.find((s) => s.uses?.startsWith('actions/download-artifact@'));
    const pattern = new RegExp(`^${download!.with!.pattern!.replace('*', '.*')}$`);
    expect(name).toMatch(pattern);
    expect(download!.with!.path).toBe(expr('env.NIGHT_DIR'));
    expect([merge!.needs].flat()).toContain('shard');
    expect(merge!.if).toContain('!cancelled()');
  });

  it('merges the shards with rig report --index --night, exits with the night code, and keeps it for the trends', () => {
    const night = join(root, 'night');
    const outcome = (index: number, exit: number, seedBase: number, started: string) => ({
      format: 1,
      shard: { index, count: 2 },
      seedBase,
      started,
      exit,
      total: 2,
      runs: [
        { n: index, workload: 'sessions', protocol: '2pc', nemesis: 'all', seed: seedBase + index, exit, dir: '' },
      ],
      invalid: exit === 1 ? ['run-1: INVALID'] : [],
      broken: [],
      accused: [],
      missed: [],
      details: '',
    });
    const put = (store: string, o: Omit<ReturnType<typeof outcome>, 'shard'> & { shard: object }) => {
      mkdirSync(join(store, 'nightly', o.started, 'servers'), { recursive: true });
      writeFileSync(join(store, 'nightly', o.started, 'outcome.json'), JSON.stringify(o));
    };
    const step = (name: string) => merge!.steps.find((s) => s.name === name);
    const env = { NIGHT_DIR: night, NIGHTLY_SEED_BASE: '20261207000', HISTORY_NIGHTS: '14' };

    // No shard uploaded anything: a clear exit 2.
    mkdirSync(night);
    const none = runStep(step('merge the shards'), env);
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/no shard uploaded a store/);

    // Tonight's shards uploaded their stores but died before their outcome; an earlier night, complete and valid, is
    // history: it must not stand in for tonight.
    mkdirSync(join(night, 'nightly-shard-1', 'sessions-2pc'), { recursive: true });
    mkdirSync(join(night, 'nightly-shard-2'));
    const earlier = { ...outcome(1, 0, 20261206000, '2026-12-06T02-00-00Z'), shard: { index: 1, count: 1 }, total: 1 };
    put(join(night, 'history', '20261206000', 'nightly-shard-1'), earlier);
    const unfinished = runStep(step('merge the shards'), env);
    expect(unfinished.status).toBe(2);
    expect(unfinished.stdout).toContain('no outcome.json of the night with seed base 20261207000');

    // Both shards finished.
    put(join(night, 'nightly-shard-1'), outcome(1, 0, 20261207000, '2026-12-07T02-00-00Z'));
    put(join(night, 'nightly-shard-2'), outcome(2, 0, 20261207000, '2026-12-07T02-00-01Z'));
    const merged = runStep(step('merge the shards'), env);
    expect(merged.stderr).toBe('');
    expect(merged.status).toBe(0);
    expect(merged.stdout).toContain('night of seed base 20261207000, shards 1/2 2/2: exit 0');
    expect(readFileSync(join(night, 'summary.md'), 'utf8')).toContain(
      '| 2 | sessions | 2pc | all | 20261207002 | 0 | 2/2 | - |',
    );
    expect(existsSync(join(night, 'index.html'))).toBe(true);

    // Tonight joins the history, without the servers' data; with room for one night, the earlier one leaves it.
    expect(runStep(step('keep tonight for the trends'), { ...env, HISTORY_NIGHTS: '1' }).status).toBe(0);
    expect(readdirSync(join(night, 'history'))).toEqual(['20261207000']);
    const kept = join(night, 'history', '20261207000', 'nightly-shard-2', 'nightly', '2026-12-07T02-00-01Z');
    expect(existsSync(join(kept, 'outcome.json'))).toBe(true);
    expect(existsSync(join(kept, 'servers'))).toBe(false);

    // A shard that found an invalid run fails the night.
    put(join(night, 'nightly-shard-2'), outcome(2, 1, 20261207000, '2026-12-07T02-00-02Z'));
    expect(runStep(step('merge the shards'), env).status).toBe(1);
  });

  it("indexes the earlier nights kept in the history beside tonight's runs: the trends across nights", () => {
    const night = join(root, 'nights');
    const run = join('sessions-2pc', '2026-12-07T02-00-05-000Z');
    writeSyntheticRun(join(night, 'nightly-shard-1', run), { ops: 50 });
    const step = (name: string) => merge!.steps.find((s) => s.name === name);
    expect(
      runStep(step('keep tonight for the trends'), {
        NIGHT_DIR: night,
        NIGHTLY_SEED_BASE: '20261207000',
        HISTORY_NIGHTS: '14',
      }).status,
    ).toBe(0);
    const kept = join(night, 'history', '20261207000', 'nightly-shard-1', run);
    expect(existsSync(join(kept, 'history.jsonl'))).toBe(true);
    expect(existsSync(join(kept, 'observations'))).toBe(false);
    // The next night: its own outcome, and last night's run from the history in its index.
    const next = {
      format: 1,
      shard: { index: 1, count: 1 },
      seedBase: 20261208000,
      started: '2026-12-08T02-00-00Z',
      exit: 0,
      total: 0,
      runs: [],
      invalid: [],
      broken: [],
      accused: [],
      missed: [],
      details: '',
    };
    mkdirSync(join(night, 'nightly-shard-1', 'nightly', next.started), { recursive: true });
    writeFileSync(join(night, 'nightly-shard-1', 'nightly', next.started, 'outcome.json'), JSON.stringify(next));
    const merged = runStep(step('merge the shards'), { NIGHT_DIR: night, NIGHTLY_SEED_BASE: '20261208000' });
    expect(merged.status, merged.stdout + merged.stderr).toBe(0);
    const index = readFileSync(join(night, 'index.html'), 'utf8');
    expect(index).toContain(`href="${join('history', '20261207000', 'nightly-shard-1', run)}"`);
    expect(index).toContain(`href="${join('nightly-shard-1', run)}"`);
  });
});

describe('.github/workflows/ci.yml', () => {
  it('runs .ci/run, which runs the README test command after ci/install.sh', () => {
    const wf = workflow('ci');
    const runs = Object.values(wf.jobs).flatMap((j) => j.steps.flatMap((s) => (s.run ? [s.run] : [])));
    expect(runs).toEqual(['.ci/run']);
    expect(executable('.ci/run')).toBe(true);
    const script = readFileSync('.ci/run', 'utf8');
    expect(readFileSync('README.md', 'utf8')).toContain('npm ci && npm test');
    expect(script).toMatch(/^ci\/install\.sh$/m);
    expect(script).toMatch(/^npm test$/m);
  });
});

describe('both workflows', () => {
  it('pin every action by major version and run Node 20', () => {
    for (const name of ['nightly', 'ci']) {
      for (const job of Object.values(workflow(name).jobs)) {
        for (const step of job.steps) {
          if (step.uses) expect(step.uses, name).toMatch(/^actions\/[a-z-]+(\/[a-z]+)?@v\d+$/);
          if (step.uses?.startsWith('actions/setup-node@')) expect(String(step.with?.['node-version'])).toBe('20');
        }
      }
    }
  });
});
