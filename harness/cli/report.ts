// `rig report <run-dir>` rebuilds one run's report.html; `rig report --index [--store DIR]...` rebuilds an index of
// one store or of several (the shards of a night, earlier nights) into --out; `--night` also merges the night's shard
// outcomes into one summary.md and exits with the night's code (reports/night.ts).
// Exit 0 when written, 2 for bad input (no such directory, not a run directory, a history that cannot be read),
// with a message naming the file; with --night, the night's exit code: 0 valid, 1 invalid, 2 could not run or missing.
import { ReportInputError, writeMergedIndex, writeNight, writeReport } from '../../reports/index.ts';
import { type Command, intOption, UsageError, type Values } from './command.ts';

export const report: Command = {
  name: 'report',
  summary: "rebuild a run's self-contained report.html, or an index.html of one store or several",
  usage: [
    'rig report <run-dir>',
    '       rig report --index [--store DIR]... [--out DIR] [--night]',
    '',
    'A run directory holds history.jsonl (and usually config.json, observations/ and results.json); its report.html',
    'opens from disk with no network. --index lists every run under the store (default ./store), newest first, with',
    'trends across runs, in <store>/index.html. Exit 0 written, 2 bad input.',
    '',
    '  --store DIR   a store to index; repeat it to index several as one (then --out is needed)',
    '  --out DIR     where index.html (and with --night, summary.md) go [the store, when there is one]; the runs stay',
    '                in their stores and are linked by relative paths, so keep the stores and DIR together',
    "  --night       also merge the latest night of ci/nightly.sh's shards found in the stores (each shard's",
    "                nightly/<time>/outcome.json) into DIR/summary.md, and exit with the night's code: 1 when a run",
    '                of the correct system was invalid, else 2 when something could not run, ended unknown, or a',
    '                shard or a run is missing, else 0',
    '  --seed-base N the night to merge, by its NIGHTLY_SEED_BASE [the newest night found]; with stores of earlier',
    '                nights indexed for their trends, this keeps an earlier night from standing in for a missing one',
  ].join('\n'),
  options: {
    index: { type: 'boolean' },
    store: { type: 'string', multiple: true },
    out: { type: 'string' },
    night: { type: 'boolean' },
    'seed-base': { type: 'string' },
  },
  positionals: true,
  async run(values, positionals) {
    try {
      if (values.index) return await index(values, positionals);
      for (const flag of ['store', 'out', 'night', 'seed-base'] as const) {
        if (values[flag] !== undefined) throw new UsageError(`--${flag} goes with --index`);
      }
      if (positionals.length !== 1) throw new UsageError('give exactly one run directory, or --index');
      console.log(await writeReport(positionals[0]!));
      return 0;
    } catch (err) {
      if (!(err instanceof ReportInputError)) throw err;
      console.error(`rig report: ${err.message}`);
      return 2;
    }
  },
};

async function index(values: Values, positionals: string[]): Promise<number> {
  if (positionals.length > 0) throw new UsageError('--index takes no run directory (use --store DIR)');
  if (values['seed-base'] !== undefined && !values.night) throw new UsageError('--seed-base goes with --night');
  const seedBase =
    values['seed-base'] === undefined
      ? undefined
      : intOption(values['seed-base'], 'seed-base', 0, Number.MAX_SAFE_INTEGER, 0);
  const stores = Array.isArray(values.store) ? values.store.map(String) : ['store'];
  const out = typeof values.out === 'string' ? values.out : stores.length === 1 ? stores[0]! : undefined;
  if (out === undefined) {
    throw new UsageError(`${stores.length} stores make one index: say where it goes with --out DIR`);
  }
  console.log(await writeMergedIndex(stores, out));
  if (!values.night) return 0;
  const { path, night } = writeNight(stores, out, seedBase);
  console.log(path);
  const shards = night.shards.map((f) => `${f.outcome.shard.index}/${f.outcome.shard.count}`).join(' ');
  console.log(`night of seed base ${night.seedBase}, shards ${shards || 'none'}: exit ${night.exit}`);
  for (const f of [...night.invalid, ...night.broken]) console.log(`FAILED ${f}`);
  return night.exit;
}
