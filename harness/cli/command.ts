// The shape of a `rig` subcommand, and argument parsing that turns every mistake into exit code 2.
import { type ParseArgsConfig, parseArgs } from 'node:util';

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

/** A mistake in how the command was called: printed with the usage, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
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

/** Parses a whole-number flag, naming the flag and its range in the error. */
export function intOption(value: unknown, flag: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${flag} must be a whole number from ${min} to ${max}, got "${String(value)}"`);
  }
  return n;
}

export function choiceOption<T extends string>(value: unknown, flag: string, choices: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!choices.includes(value as T)) {
    throw new UsageError(`--${flag} must be one of ${choices.join(', ')}, got "${String(value)}"`);
  }
  return value as T;
}
