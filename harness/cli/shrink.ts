// `rig shrink <run>`: the smallest configuration that still fails like a stored failing run.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunConfig } from '../../format/config.ts';
import { LoadError } from '../../format/jsonl.ts';
import { invalidCheckers, type Results, readResults, resultsPathOf } from '../../format/results.ts';
import { onShutdown, stopWhenOrphaned } from '../process/lifecycle.ts';
import { shrink } from '../shrink/shrink.ts';
import { type Command, intOption, UsageError } from './command.ts';
import { loadConfig } from './repro.ts';

/** "1 fault (4333 ms)", "2 faults (6000 ms)": how many, and how long in all. */
function faults(c: RunConfig): string {
  const ms = c.schedule.reduce((sum, w) => sum + w.endMs - w.startMs, 0);
  return `${c.schedule.length} fault${c.schedule.length === 1 ? '' : 's'} (${ms} ms)`;
}

/** "24 clients at 30/s" (rate 0: as fast as they go). */
function clients(c: RunConfig): string {
  const { concurrency, rate } = c.options;
  return `${concurrency} client${concurrency === 1 ? '' : 's'} at ${rate > 0 ? `${rate}/s` : 'full speed'}`;
}

function readStoredResults(runDir: string): Results | undefined {
  try {
    return readResults(resultsPathOf(runDir));
  } catch (err) {
    if (err instanceof LoadError) throw new UsageError(err.message);
    throw err;
  }
}

export const shrinkCommand: Command = {
  name: 'shrink',
  summary: 'replay a failing run with fewer operations and fewer or shorter faults, keeping the failure',
  usage: [
    'rig shrink <run-dir> [--runs N] [--max-runs N]',
    '',
    '  --runs      times each candidate is run; kept if it fails at least once (real runs are not deterministic)',
    '              [2; a simulated run: 1, as the same candidate always gives the same verdict]',
    '  --max-runs  total runs the search may spend [16; a simulated run: 100]',
    '',
    'A simulated run (rig sim) is shrunk in simulation: no reruns, and the smallest configuration fails every time.',
    '',
    'Writes shrink.json into the original run directory: every kept step with how often it failed, the smallest',
    'failing configuration, and the command that reproduces it (rig repro on its run directory).',
  ].join('\n'),
  options: { runs: { type: 'string' }, 'max-runs': { type: 'string' } },
  positionals: true,
  async run(values, positionals) {
    if (positionals.length !== 1) throw new UsageError('give exactly one failing run directory');
    const runDir = positionals[0]!;
    const config = loadConfig(runDir);
    const results = readStoredResults(runDir);
    if (!results) throw new UsageError(`${runDir} has no results.json: check it first (rig check ${runDir})`);
    const failing = invalidCheckers(results);
    if (failing.length === 0)
      throw new UsageError(`${runDir} did not fail: no checker found it invalid, so there is nothing to shrink`);
    const abort = new AbortController();
    onShutdown(async () => abort.abort());
    stopWhenOrphaned();
    console.log(`shrinking ${runDir}: keeping ${failing.join(', ')} invalid`);
    const simulated = config.mode === 'sim';
    const r = await shrink(config, {
      runs: intOption(values.runs, 'runs', 1, 10, simulated ? 1 : 2),
      runsMax: intOption(values['max-runs'], 'max-runs', 1, 1000, simulated ? 100 : 16),
      checkers: failing,
      signal: abort.signal,
      log: (line) => console.log(line),
    });
    const o = r.smallest.options;
    const summary = {
      original: {
        timeLimitS: config.options.timeLimitS,
        faults: config.schedule.length,
        concurrency: config.options.concurrency,
        rate: config.options.rate,
      },
      smallest: {
        timeLimitS: o.timeLimitS,
        faults: r.smallest.schedule.length,
        concurrency: o.concurrency,
        rate: o.rate,
        schedule: r.smallest.schedule,
      },
      steps: r.steps,
      runsUsed: r.runsUsed,
      reproduce: r.smallestRunDir ? `npx rig repro ${r.smallestRunDir}` : null,
    };
    writeFileSync(join(runDir, 'shrink.json'), `${JSON.stringify(summary, null, 2)}\n`);
    console.log(`\noriginal: ${config.options.timeLimitS} s, ${faults(config)}, ${clients(config)}`);
    console.log(
      `smallest: ${o.timeLimitS} s, ${faults(r.smallest)}, ${clients(r.smallest)} (${r.steps.length} steps kept, ${r.runsUsed} runs)`,
    );
    console.log(summary.reproduce ? `reproduce: ${summary.reproduce}` : 'no smaller configuration kept the failure');
    return r.steps.length > 0 ? 0 : 1;
  },
};
