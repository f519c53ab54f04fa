// `rig efficacy`: prove every checker catches the planted bug it exists to catch, and accuses no correct system.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { efficacyMatrix } from '../efficacy/matrix.ts';
import { type BugRow, type CaseRun, efficacyTable, evaluate } from '../efficacy/runner.ts';
import { providerChoices } from '../env/index.ts';
import { onShutdown, stopWhenOrphaned } from '../process/lifecycle.ts';
import { type Command, choiceOption, intOption, UsageError } from './command.ts';

export const efficacy: Command = {
  name: 'efficacy',
  summary: 'run each planted bug until its checker reports it, and the correct system on the same seeds',
  usage: [
    'rig efficacy [--bug a,b] [--sim] [--env PROVIDER] [--quiet S] [--store DIR]',
    '',
    ...efficacyMatrix.map((c) => `  ${c.bug.padEnd(20)} ${c.checker.padEnd(16)} ${c.why}`),
    '',
    '--sim runs the same cases in simulation (rig sim): a simulated run replays exactly, so each is caught at the',
    'same seed on every run.',
    '',
    'Writes store/efficacy/<time>/efficacy.json and efficacy.md. Exit 0 when every bug was detected by its checker and',
    'the correct system was valid on every seed tried; 1 otherwise; 2 when it could not run.',
  ].join('\n'),
  options: {
    bug: { type: 'string' },
    sim: { type: 'boolean' },
    env: { type: 'string' },
    quiet: { type: 'string' },
    store: { type: 'string' },
  },
  async run(values) {
    const names =
      typeof values.bug === 'string' ? values.bug.split(',').map((b) => b.trim()) : efficacyMatrix.map((c) => c.bug);
    const unknown = names.filter((n) => !efficacyMatrix.some((c) => c.bug === n));
    if (unknown.length)
      throw new UsageError(
        `--bug: unknown ${unknown.join(', ')}; known: ${efficacyMatrix.map((c) => c.bug).join(', ')}`,
      );
    const store = typeof values.store === 'string' ? values.store : 'store';
    const abort = new AbortController();
    onShutdown(async () => abort.abort());
    stopWhenOrphaned();
    const mode = values.sim === true ? ('sim' as const) : ('real' as const);
    const o = {
      mode,
      store,
      env: choiceOption(values.env, 'env', providerChoices, 'auto'),
      quietS: intOption(values.quiet, 'quiet', 1, 600, 10),
      signal: abort.signal,
      log: (line: string) => console.log(line),
    };
    const rows: BugRow[] = [];
    const cache = new Map<string, CaseRun>();
    const cases = efficacyMatrix.filter((x) => names.includes(x.bug));
    for (const c of cases) {
      if (abort.signal.aborted) break;
      rows.push(await evaluate(c, o, cache));
    }
    const dir = resolve(store, 'efficacy', new Date().toISOString().replace(/[:.]/g, '-'));
    mkdirSync(dir, { recursive: true });
    const table = efficacyTable(rows);
    writeFileSync(join(dir, 'efficacy.json'), `${JSON.stringify(rows, null, 2)}\n`);
    writeFileSync(join(dir, 'efficacy.md'), `# Efficacy\n\n${table}\n`);
    console.log(`\n${table}\n\nwritten to ${dir}`);
    const ok = rows.length === cases.length && rows.every((r) => r.detected && r.correct.allValid);
    return ok ? 0 : 1;
  },
};
