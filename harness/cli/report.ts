// `rig report <run-dir>` rebuilds one run's report.html; `rig report --index [--store DIR]` rebuilds store/index.html.
// Exit 0 when written, 2 for bad input (no such directory, not a run directory, a history that cannot be read),
// with a message naming the file.
import { ReportInputError, writeIndex, writeReport } from '../../reports/index.ts';
import { type Command, UsageError } from './command.ts';

export const report: Command = {
  name: 'report',
  summary: "rebuild a run's self-contained report.html, or the store's index.html",
  usage: [
    'rig report <run-dir>',
    '       rig report --index [--store DIR]',
    '',
    'A run directory holds history.jsonl (and usually config.json, observations/ and results.json); its report.html',
    'opens from disk with no network. --index lists every run under the store (default ./store), newest first, with',
    'trends across runs, in <store>/index.html. Exit 0 written, 2 bad input.',
  ].join('\n'),
  options: { index: { type: 'boolean' }, store: { type: 'string' } },
  positionals: true,
  async run(values, positionals) {
    try {
      if (values.index) {
        if (positionals.length > 0) throw new UsageError('--index takes no run directory (use --store DIR)');
        console.log(await writeIndex(typeof values.store === 'string' ? values.store : 'store'));
        return 0;
      }
      if (values.store !== undefined) throw new UsageError('--store goes with --index');
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
