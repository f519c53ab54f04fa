// Fencing: the participant keeps the highest leader token it has seen, persisted, and refuses lower ones before
// any state change. A request runs its whole action while holding a shared hold on the current token; raising the
// token takes the fence exclusively, so it waits for actions still running under the old token, persists the new
// one, and only then admits anything. So once a higher token is seen, no action with a lower one can still land.
import { staleToken } from './errors.ts';

export class Fence {
  private highestToken: number;
  private holders = 0;
  private raising: Promise<void> | undefined;
  private drained: (() => void) | undefined;

  constructor(
    initialToken: number,
    /** Durably raises the stored token to at least `token`; resolves with the stored value. */
    private readonly persist: (token: number) => Promise<number>,
  ) {
    this.highestToken = initialToken;
  }

  get highest(): number {
    return this.highestToken;
  }

  /** Runs `action` under `token`; throws a stale_token ServiceError, before running it, if the token is old. */
  async run<T>(token: number, action: () => Promise<T>): Promise<T> {
    for (;;) {
      if (this.raising) {
        // A failed raise is the raiser's error to report; the others re-check (and may retry the raise).
        await this.raising.catch(() => {});
        continue;
      }
      if (token < this.highestToken) throw staleToken(token, this.highestToken);
      if (token === this.highestToken) break;
      this.raising = this.raise(token).finally(() => {
        this.raising = undefined;
      });
      await this.raising;
    }
    this.holders++;
    try {
      return await action();
    } finally {
      this.holders--;
      if (this.holders === 0) this.drained?.();
    }
  }

  private async raise(token: number): Promise<void> {
    while (this.holders > 0) {
      await new Promise<void>((resolve) => {
        this.drained = resolve;
      });
    }
    this.drained = undefined;
    const stored = await this.persist(token);
    this.highestToken = Math.max(this.highestToken, stored);
  }
}
