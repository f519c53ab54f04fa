// Command-line values: a mistake in how a command was called is a UsageError (printed with the usage, exit 2) that
// names the flag and what it accepts. Shared by the CLI and by the option parsers of the jobs it runs (bench).

/** A mistake in how the command was called: printed with the usage, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
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
