// The middle of a run: seeded clients against the gateway and the seeded fault schedule, side by side, until the time
// limit or Ctrl-C; each client op and each fault goes into the history as it happens.
import { setMaxListeners } from 'node:events';
import type { RunConfig, RunOptions } from '../../format/config.ts';
import { Rng } from '../../lib/rng.ts';
import { type Clock, systemClock } from '../../system/common/clock.ts';
import type { OpSpec, Workload } from '../../workloads/index.ts';
import type { Cluster } from '../cluster/cluster.ts';
import type { Environment } from '../env/types.ts';
import type { Network } from '../nemesis/links.ts';
import { type Completion, GatewayClient } from './client.ts';
import type { HistoryWriter } from './history.ts';
import { realTarget, runNemeses } from './nemesis-loop.ts';
import { type Invocation, SessionPool } from './pool.ts';

export type Progress = (line: {
  elapsedS: number;
  limitS: number;
  counts: HistoryWriter['counts'];
  fault: string;
}) => void;

export interface Drive {
  config: RunConfig;
  workload: Workload;
  history: HistoryWriter;
  net: Network;
  cluster: Cluster;
  env: Environment;
  signal: AbortSignal;
  progress: Progress | undefined;
}

/** Runs the clients and the nemesis until the time limit or `signal`, then stops both and waits for them. */
export async function driveWorkload(d: Drive): Promise<void> {
  const o = d.config.options;
  const h = d.history;
  const rng = new Rng(o.seed);
  const stop = new AbortController();
  // Every client's pacing sleep listens to it at once: more than Node's default of 10 is expected, not a leak.
  setMaxListeners(o.concurrency + 10, stop.signal);
  // Removed when the workload ends: `rig shrink` and `rig efficacy` pass one signal to run after run.
  const stopOnAbort = () => stop.abort();
  d.signal.addEventListener('abort', stopOnAbort, { once: true });
  const endTimer = setTimeout(() => stop.abort(), o.timeLimitS * 1000);
  let fault = 'none';
  const ticker = setInterval(
    () => d.progress?.({ elapsedS: h.nowNs() / 1e9, limitS: o.timeLimitS, counts: h.counts, fault }),
    1000,
  );
  const client = new GatewayClient(d.cluster.gatewayUrl, 20_000);
  try {
    const ops = d.workload.ops(rng.fork('workload'), {
      protocol: o.protocol,
      subscribers: o.subscribers,
      cells: o.cells,
    });
    const clients = runClients({
      options: o,
      history: h,
      client,
      ops,
      timing: rng.fork('timing'),
      stop: stop.signal,
      clock: systemClock(),
    });
    const target = realTarget(d.net, d.cluster, d.env, o.leaseTtlMs);
    const nemesis = runNemeses({
      schedule: d.config.schedule,
      history: h,
      target,
      rng: rng.fork('nemesis'),
      stop: stop.signal,
      clock: systemClock(),
      onFault: (f) => {
        fault = f;
      },
    }).finally(() => target.close());
    await Promise.all([clients, nemesis]);
  } finally {
    d.signal.removeEventListener('abort', stopOnAbort);
    clearTimeout(endTimer);
    clearInterval(ticker);
    client.close();
  }
}

/** One op's HTTP call. */
function invoke(client: GatewayClient, op: Invocation): Promise<Completion> {
  switch (op.f) {
    case 'create-session':
      return client.createSession(op.value);
    case 'read-session':
      return client.readSession(op.value);
    case 'modify-session':
      return client.modifySession(op.value);
    case 'release-session':
      return client.releaseSession(op.value);
  }
}

export interface Clients {
  options: Pick<RunOptions, 'concurrency' | 'rate'>;
  history: HistoryWriter;
  client: GatewayClient;
  ops: Generator<OpSpec, never>;
  /** The seeded pacing stream. */
  timing: Rng;
  stop: AbortSignal;
  /** Paces the clients: the real clock, or a simulation's virtual one. */
  clock: Pick<Clock, 'sleep'>;
}

/**
 * `concurrency` client processes, each paced by the seeded timing stream, until `stop`. Ops on a slot of the session
 * pool are resolved when invoked, by the client that invokes them (harness/run/pool.ts).
 */
export async function runClients(c: Clients): Promise<void> {
  const o = c.options;
  const { history: h, ops, timing, stop } = c;
  const pool = new SessionPool();
  let nextProcess = o.concurrency;
  // A client keeps what it learned of sessions across its changes of process number: it is the same client.
  const worker = async (clientId: number) => {
    let process = clientId;
    while (!stop.aborted) {
      if (o.rate > 0) await c.clock.sleep(timing.next() * 2 * (o.concurrency / o.rate) * 1000, stop);
      if (stop.aborted) break;
      const op = pool.resolve(ops.next().value, clientId);
      h.append({ type: 'invoke', process, f: op.f, value: op.value });
      const done = await invoke(c.client, op);
      h.append({
        type: done.type,
        process,
        f: op.f,
        value: done.value,
        ...(done.error ? { error: done.error } : {}),
      });
      pool.learn(op, clientId, done);
      // Jepsen's rule: a process whose op ended unknown may still be running it, so it continues as a new process.
      if (done.type === 'info') process = nextProcess++;
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, (_, i) => worker(i)));
}
