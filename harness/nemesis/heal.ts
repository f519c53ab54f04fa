// Heals that tell the truth: every step is tried even after one fails, and a failure is never swallowed. The heal
// throws one HealError naming each failed step, carrying what the others did, so its nemesis op is recorded as an
// `info` with that `error` (a failed final heal makes the run unknown).

/** A heal that did only part of its work: the message names every step that failed; `done` is what the rest did. */
export class HealError extends Error {
  constructor(
    readonly failures: readonly string[],
    readonly done: Record<string, unknown>,
  ) {
    super(failures.join('; '));
    this.name = 'HealError';
  }
}

/** Collects the failures of a heal's steps, each named by its step. */
export class HealSteps {
  private readonly failures: string[] = [];

  /** Runs one step; false when it threw (the failure is kept, the heal goes on). */
  async run(what: string, step: () => unknown): Promise<boolean> {
    try {
      await step();
      return true;
    } catch (err) {
      this.failures.push(`${what}: ${(err as Error).message}`);
      return false;
    }
  }

  /** Returns `done` when every step succeeded; else throws a HealError naming each failure and carrying `done`. */
  finish<T extends Record<string, unknown>>(done: T): T {
    if (this.failures.length > 0) throw new HealError(this.failures, done);
    return done;
  }
}
