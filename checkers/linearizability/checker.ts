// The linearizability checker: every register partition searched under one time budget and a per-partition memory
// budget. Over budget, that key is `unknown`; the process never runs out of memory or time.
import type { HistoryOp } from '../../format/history.ts';
import type { Observations } from '../../format/observations.ts';
import { type AnomalyLog, anomalyLog, type Checker, type CheckOptions } from '../result.ts';
import { type Model, type RegisterInput, registerModel } from './model.ts';
import { cite, dsmPartitions, historyPartitions, type Partition, sessionPartitions } from './partition.ts';
import { type SearchResult, search } from './search.ts';

export const DEFAULT_TIME_LIMIT_MS = 10_000;
export const DEFAULT_MEMORY_LIMIT_BYTES = 512 * 1024 * 1024;

type RegisterModel = Model<unknown, RegisterInput, unknown>;

export interface PartitionResult {
  partition: Partition;
  result: SearchResult<unknown>;
}

/**
 * Searches each partition in key order, yielding as it goes (a run can have a partition per session: results are not
 * kept). Once the time budget is spent, the rest are unknown without searching.
 */
export function* checkPartitions(partitions: readonly Partition[], opts: CheckOptions): Generator<PartitionResult> {
  const deadlineMs = performance.now() + (opts.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS);
  const memoryBytes = opts.memoryLimitBytes ?? DEFAULT_MEMORY_LIMIT_BYTES;
  const sorted = [...partitions].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const models = new Map<unknown, RegisterModel>();
  for (const partition of sorted) {
    if (performance.now() > deadlineMs) {
      yield { partition, result: { kind: 'unknown', reason: 'time limit reached before this key', cacheEntries: 0 } };
      continue;
    }
    let model = models.get(partition.initial);
    if (!model) {
      model = registerModel(partition.initial);
      models.set(partition.initial, model);
    }
    yield { partition, result: search(model, partition.ops, { deadlineMs, memoryBytes }) };
  }
}

/** "read 1 (ops 4-9) cannot be linearized: after ... the register holds 2". The full prefix goes in the details. */
function report(
  p: Partition,
  r: Extract<SearchResult<unknown>, { kind: 'not-linearizable' }>,
  model: RegisterModel,
  out: AnomalyLog,
) {
  const describe = (i: number) => `${model.describe(p.ops[i]!.input, p.ops[i]!.output)} (${cite(p.ops[i]!)})`;
  const blocked = p.ops[r.blocked]!;
  const shown = r.prefix.slice(-3).map(describe);
  const more = r.prefix.length > 3 ? `${r.prefix.length - 3} earlier ops, then ` : '';
  const prefix =
    r.prefix.length === 0
      ? 'from the initial state'
      : `after the longest linearizable prefix (${more}${shown.join(', ')})`;
  // Stryker disable next-line OptionalChaining,LogicalOperator: registerModel always has describeState, which prints a JSON value (all a register holds) as JSON.stringify does
  const state = model.describeState?.(r.state) ?? JSON.stringify(r.state);
  out.add(
    'not-linearizable',
    p.key,
    blocked.ops,
    `${describe(r.blocked)} cannot be linearized ${prefix}: the register holds ${state}`,
    {
      prefix: r.prefix.map((i) => (p.ops[i]!.source ? cite(p.ops[i]!) : p.ops[i]!.ops[0])),
      state: r.state,
      blocked: blocked.source ? cite(blocked) : blocked.ops,
    },
  );
}

/** Every register to judge, by source: plain register ops, sessions (client ops), DSM records (server calls). */
function partitionsBySource(history: readonly HistoryOp[], observations: Observations) {
  return {
    registers: historyPartitions(history),
    sessions: sessionPartitions(history),
    dsm: dsmPartitions(observations['dsm-op']),
  };
}

export function registerPartitions(history: readonly HistoryOp[], observations: Observations): Partition[] {
  return Object.values(partitionsBySource(history, observations)).flat();
}

const opCount = (partitions: readonly Partition[]) => partitions.reduce((n, p) => n + p.ops.length, 0);

export const linearizable: Checker = {
  name: 'linearizable',
  coverage: ['keys', 'ops'],
  check(history, observations, opts) {
    const out = anomalyLog(opts);
    const sources = partitionsBySource(history, observations);
    const partitions = Object.values(sources).flat();
    const unknown: { key: string; reason: string }[] = [];
    let cacheEntriesMax = 0;
    for (const { partition, result } of checkPartitions(partitions, opts)) {
      cacheEntriesMax = Math.max(cacheEntriesMax, result.cacheEntries);
      if (result.kind === 'not-linearizable') report(partition, result, registerModel(partition.initial), out);
      if (result.kind === 'unknown') unknown.push({ key: partition.key, reason: result.reason });
    }
    // Coverage counts every source; the split shows what fed it (a run's sessions, its DSM audit).
    const bySource = Object.fromEntries(
      Object.entries(sources).map(([name, ps]) => [name, { keys: ps.length, ops: opCount(ps) }]),
    );
    const stats = {
      keys: partitions.length,
      ops: opCount(partitions),
      bySource,
      unknownKeys: unknown,
      cacheEntriesMax,
    };
    const res = out.result(stats);
    if (res.valid === true && unknown.length > 0) {
      res.valid = 'unknown';
      res.error = `${unknown.length} key(s) not decided: ${unknown[0]!.key}: ${unknown[0]!.reason}`;
    }
    return res;
  },
};
