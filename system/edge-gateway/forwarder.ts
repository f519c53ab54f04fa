// Forwarding to the leader session manager: follow `not_leader` hints, rotate past nodes that cannot be reached,
// back off between attempts, all within one deadline. Every attempt carries the same idempotency key, so a retry
// after an ambiguous failure (a timeout, a reset) can never create a second session. The answer is definite only
// when every failure was: one ambiguous failure and no later answer make it 504 (outcome unknown).
// Discovery (discovery.ts) reports the ready leader with the highest epoch. When that is a new leader, attempts still
// waiting on another manager are abandoned and retried there: a paused or cut-off old leader answers nothing until
// the attempt timeout, which is longer than the lease, so without this every request in flight at a leader's pause
// waited out the attempt timeout after a new leader was already serving (measured in docs/system.md).
import type { Clock } from '../common/clock.ts';
import type { Reply } from '../common/dispatch.ts';
import { isServiceError } from '../common/errors.ts';
import type { PeerPort } from '../common/peer-port.ts';

export interface ForwarderConfig {
  attemptTimeoutMs: number;
  requestDeadlineMs: number;
  attemptsMax: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
}

interface SmReply {
  code?: string;
  leader?: string | null;
  /** With `leader` in a not_leader answer: the epoch the answering node last saw that leader hold. */
  epoch?: number;
}

export class Forwarder {
  private hint: string | undefined;
  private rotation = 0;
  /** The highest epoch discovery has seen a ready leader at. */
  private leaderEpoch = 0;
  /** Attempts in flight, with the manager each went to. */
  private readonly attempts = new Map<AbortController, string>();

  constructor(
    private readonly managers: ReadonlyMap<string, PeerPort>,
    private readonly config: ForwarderConfig,
    private readonly clock: Clock,
  ) {}

  get leaderHint(): string | undefined {
    return this.hint;
  }

  /**
   * Discovery found `name` leading and ready at `epoch`. Requests go there from now on (a lower epoch than one seen
   * before is a deposed leader that has not noticed yet, and is ignored); at a higher epoch, attempts waiting on
   * any other manager are abandoned, to be retried at `name` with the same idempotency key.
   */
  leaderFound(name: string, epoch: number): void {
    if (!this.managers.has(name) || epoch < this.leaderEpoch) return;
    const newer = epoch > this.leaderEpoch;
    this.leaderEpoch = epoch;
    this.hint = name;
    if (!newer) return;
    for (const [attempt, to] of this.attempts) if (to !== name) attempt.abort();
  }

  private nextCandidate(): string {
    if (this.hint) return this.hint;
    const names = [...this.managers.keys()];
    return names[this.rotation++ % names.length]!;
  }

  /** Sends `body` to the leader; returns the reply to give the client. */
  async forward(
    method: 'POST' | 'PATCH' | 'DELETE' | 'GET',
    path: string,
    body: unknown,
    headers: Record<string, string>,
  ): Promise<Reply> {
    const deadline = this.clock.monotonicMs() + this.config.requestDeadlineMs;
    let uncertain = false;
    let lastProblem = 'no session manager answered';
    for (let n = 0; n < this.config.attemptsMax; n++) {
      const remaining = deadline - this.clock.monotonicMs();
      if (remaining <= 0) break;
      const name = this.nextCandidate();
      const peer = this.managers.get(name)!;
      const attempt = new AbortController();
      this.attempts.set(attempt, name);
      try {
        const r = await peer.call<SmReply>(method, path, body, {
          timeoutMs: Math.min(this.config.attemptTimeoutMs, remaining),
          headers,
          signal: attempt.signal,
        });
        if (r.status === 503 && r.body?.code === 'not_leader') {
          const leader = r.body.leader ?? undefined;
          const named = leader && leader !== name && this.managers.has(leader) ? leader : undefined;
          // A hint at a newer epoch than any seen is news of a new leader, as discovery's would be.
          if (named && typeof r.body.epoch === 'number' && r.body.epoch > this.leaderEpoch) {
            this.leaderFound(named, r.body.epoch);
          } else this.hint = named;
          lastProblem = `${name} is not the leader`;
        } else if (r.status === 504) {
          uncertain = true; // the leader itself does not know yet; ask again with the same key
          lastProblem = `${name}: outcome not known yet`;
        } else if (r.status >= 500 && r.status !== 503) {
          uncertain = true;
          this.hint = undefined;
          lastProblem = `${name} answered ${r.status}`;
        } else if (r.status === 503 && uncertain) {
          // Shed now, but an earlier attempt with this key may have gone through: a 503 would tell the client
          // "certainly not done", which we no longer know. Keep asking; the key makes it safe.
          lastProblem = `${name} shed the retry (${r.body?.code ?? 503}) after an earlier attempt may have landed`;
        } else {
          if (method !== 'GET' && r.status < 500) this.hint = name;
          // Shed by the leader's admission control (503 overloaded): the client backs off, not us. Its Retry-After
          // comes from the body's retryAfterMs, as for every 503 the gateway answers (dispatch.ts withRetryAfter).
          return { status: r.status, body: r.body };
        }
      } catch (err) {
        const definite = isServiceError(err) && err.definite;
        if (!definite) uncertain = true;
        // Not when discovery has pointed elsewhere meanwhile (it abandoned this attempt for that leader).
        if (this.hint === name) this.hint = undefined;
        lastProblem = `${name}: ${(err as Error).message}`;
      } finally {
        this.attempts.delete(attempt);
      }
      await this.backoff(n, deadline);
    }
    if (uncertain && method !== 'GET') {
      return {
        status: 504,
        body: {
          code: 'unknown_outcome',
          message: `the outcome is unknown: the request may or may not have committed (${lastProblem}); retry with the same Idempotency-Key to learn it`,
          idempotencyKey: headers['idempotency-key'],
        },
      };
    }
    return {
      status: 503,
      body: { code: 'no_leader', message: `no leader could take the request (${lastProblem}); retry later` },
    };
  }

  private async backoff(attempt: number, deadline: number): Promise<void> {
    const ms = Math.min(
      this.config.backoffBaseMs * 2 ** attempt,
      this.config.backoffMaxMs,
      Math.max(0, deadline - this.clock.monotonicMs()),
    );
    if (ms > 0) await this.clock.sleep(ms);
  }
}
