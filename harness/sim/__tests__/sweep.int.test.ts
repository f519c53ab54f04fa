// A small simulation sweep on every `npm test` (issue 24 item 7): the correct system must stay valid on fixed seeds of
// three workloads under every nemesis, each seed simulated and judged by every checker (a seed counts as valid only
// when every verdict is: a checker that examined nothing makes it unknown, and the sweep fails). The seeds are fixed,
// so the sweep is not flaky: a failure here fails every time, and `rig sim --seed N` with the printed options replays
// it. 60 seeds of 10 virtual seconds: about 30 s with 2 workers on an idle 2-core machine. The nightly sweeps 1,000.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const store = mkdtempSync(join(tmpdir(), 'rig-sweep-'));
afterAll(() => rmSync(store, { recursive: true, force: true }));

const seeds = 20;
const sweeps = [
  ['sessions', 'mixed'],
  ['lifecycle', '3pc'],
  ['contention', '2pc'],
] as const;

describe('simulation sweep', () => {
  it.each(sweeps)(
    `%s (%s): seeds 1..${seeds} under every nemesis are all valid`,
    (workload, protocol) => {
      const r = spawnSync(
        process.execPath,
        [
          'bin/rig.js',
          'sim',
          '--seeds',
          `1..${seeds}`,
          '--workers',
          '2',
          '--keep-going',
          '--workload',
          workload,
          '--protocol',
          protocol,
          '--nemesis',
          'all',
          '--time-limit',
          '10',
          '--store',
          store,
        ],
        { encoding: 'utf8', timeout: 240_000 },
      );
      const out = r.stdout + r.stderr;
      // The line names every seed that was not valid, with its findings and the command that replays it.
      expect(out).toContain(`${seeds} valid, 0 invalid, 0 unknown, 0 could not run`);
      expect(r.status).toBe(0);
    },
    240_000,
  );
});
