// The shape of a `rig` subcommand, and argument parsing that turns every mistake into exit code 2.
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from '../args/args.ts';

export { choiceOption, intOption, UsageError } from '../args/args.ts';

export type Options = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface Command {
  name: string;
  /** One line for `rig --help`. */
  summary: string;
  /** The usage text for `rig <name> --help`, after the first line. */
  usage: string;
  options: Options;
  /** Whether positionals are accepted (e.g. a run directory). */
  positionals?: boolean;
  run(values: Values, positionals: string[]): Promise<number>;
}

export function parseCommand(command: Command, argv: string[]) {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (!command.positionals && parsed.positionals.length > 0 && !parsed.values.help) {
    throw new UsageError(`rig ${command.name} takes no arguments, got: ${parsed.positionals.join(' ')}`);
  }
  return parsed;
}
