// A background pass run every interval until stopped: the next pass starts `intervalMs` after the previous one
// started (or at once if it took longer), one at a time; a failing pass is reported and the loop goes on.
import type { Clock } from './clock.ts';

export class Periodic {
  private readonly stopper = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly pass: () => Promise<void>,
    private readonly onError: (err: Error) => void,
    private readonly clock: Clock,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  get stopped(): boolean {
    return this.stopper.signal.aborted;
  }

  /** Stops and waits for the pass in progress, if any. */
  async stop(): Promise<void> {
    this.stopper.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    const signal = this.stopper.signal;
    while (!signal.aborted) {
      const started = this.clock.monotonicMs();
      await this.pass().catch((err: Error) => this.onError(err));
      await this.clock.sleep(Math.max(0, this.intervalMs - (this.clock.monotonicMs() - started)), signal);
    }
  }
}
