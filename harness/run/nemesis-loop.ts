// Plays the fault schedule: each window starts its nemesis and heals it, both recorded as nemesis ops; at the end
// (time limit or Ctrl-C) a final heal undoes everything that might remain: toxics, paused and dead processes.

import type { Window } from '../../format/config.ts';
import type { Rng } from '../../lib/rng.ts';
import type { Clock } from '../../system/common/clock.ts';
import type { Cluster } from '../cluster/cluster.ts';
import type { Environment } from '../env/types.ts';
import { HealError, HealSteps } from '../nemesis/heal.ts';
import { nemeses } from '../nemesis/index.ts';
import type { Network } from '../nemesis/links.ts';
import type { Fault, NemesisContext } from '../nemesis/types.ts';
import type { HistoryWriter } from './history.ts';
import { openProbes } from './probes.ts';

/** Where the faults happen: the context every nemesis acts through, and the final heal that undoes them all. */
export interface NemesisTarget {
  ctx: NemesisContext;
  /** Undoes whatever may remain: every toxic, every stopped process, every dead one, every fault setting. */
  finalHeal(): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export interface NemesisLoop {
  schedule: readonly Window[];
  history: HistoryWriter;
  target: NemesisTarget;
  rng: Rng;
  stop: AbortSignal;
  /** The run's timers: the real clock, or a simulation's virtual one. */
  clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  onFault(description: string): void;
}

/** The real cluster behind its fault proxy: signals, Toxiproxy toxics, and the probes that ask who leads. */
export function realTarget(net: Network, cluster: Cluster, env: Environment, leaseTtlMs: number): NemesisTarget {
  const probes = openProbes(env, cluster);
  const ctx: NemesisContext = {
    net,
    cluster,
    ...(env.restartRedis
      ? { restartRedis: env.restartRedis }
      : { cannotRestartRedis: `the ${env.provider} environment cannot restart Redis` }),
    leader: probes.leader,
    setFaults: probes.setFaults,
    leaseTtlMs,
  };
  return {
    ctx,
    async finalHeal() {
      const steps = new HealSteps();
      const healed = await net.heal(steps);
      const restarted: string[] = [];
      for (const [node, s] of cluster.services) {
        if (s.proc.running) {
          await steps.run(`resume ${node}`, () => cluster.resume(node));
          await steps.run(`clear the fault settings of ${node}`, () => ctx.setFaults(node, {}));
        } else if (await steps.run(`restart ${node}`, () => cluster.restart(node))) restarted.push(node);
      }
      return steps.finish({ healed, restarted });
    },
    close: () => probes.close(),
  };
}

/** Resolves at `atMs` on the run's clock (never, for Infinity) or when `stop` aborts, whichever is first. */
function until(l: NemesisLoop, atMs: number): Promise<void> {
  const { history, stop, clock } = l;
  const ms = atMs - history.nowNs() / 1e6;
  if (ms <= 0 || stop.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const t = Number.isFinite(ms) ? clock.setTimeout(done, ms) : undefined;
    function done() {
      clock.clearTimeout(t);
      stop.removeEventListener('abort', done);
      resolve();
    }
    stop.addEventListener('abort', done, { once: true });
  });
}

async function recorded(
  history: HistoryWriter,
  f: string,
  value: Record<string, unknown>,
  act: () => Promise<Record<string, unknown>>,
) {
  history.append({ type: 'invoke', process: 'nemesis', f, value });
  try {
    const done = await act();
    history.append({ type: 'info', process: 'nemesis', f, value: { ...value, ...done } });
  } catch (err) {
    // A heal that failed part way still says what its other steps did.
    const done = err instanceof HealError ? err.done : {};
    const error = (err as Error).message;
    history.append({ type: 'info', process: 'nemesis', f, value: { ...value, ...done }, error });
  }
}

export async function runNemeses(l: NemesisLoop): Promise<void> {
  const { ctx } = l.target;
  // Planned durations are kept even when a step runs late (a restart can take seconds on a busy machine):
  // a window starts no earlier than planned and no sooner after the previous heal than the planned gap.
  let lagMs = 0;
  let previousEndMs = 0;
  for (const w of l.schedule) {
    await until(l, w.startMs + lagMs);
    if (l.stop.aborted) break;
    const startedMs = l.history.nowNs() / 1e6;
    const nemesis = nemeses.find((n) => n.name === w.nemesis)!;
    let fault: Fault | undefined;
    await recorded(l.history, `start-${w.nemesis}`, { variant: w.variant }, async () => {
      fault = await nemesis.start(ctx, w.variant, l.rng);
      return fault.done;
    });
    l.onFault(`${w.nemesis}/${w.variant}`);
    await until(l, startedMs + (w.endMs - w.startMs));
    await recorded(l.history, `stop-${w.nemesis}`, { variant: w.variant }, async () =>
      fault ? fault.heal() : { skipped: 'the fault did not start' },
    );
    l.onFault('none');
    previousEndMs = w.endMs;
    lagMs = Math.max(0, l.history.nowNs() / 1e6 - previousEndMs);
  }
  await until(l, Number.POSITIVE_INFINITY);
  if (l.schedule.length > 0) await recorded(l.history, 'final-heal', {}, () => l.target.finalHeal());
}
