// The global wait-for graph, as pure functions: edges collected from every participant, cycles found in it (a
// cycle that spans participants is a deadlock no single Postgres can see), and the victim chosen in each.

export interface WaitForEdge {
  participant: string;
  txnId: string;
  waitsFor: string;
  resource: string | null;
  /** How long the waiter had waited when the edge was collected. */
  waitedMs: number;
}

/** A cycle as the txns in wait order: each waits for the next, the last for the first. */
export type Cycle = readonly string[];

/** The same cycle gets the same key whichever txn it is listed from. */
export function cycleKey(cycle: Cycle): string {
  return [...cycle].sort().join(' ');
}

const edgeKey = (from: string, to: string) => `${from}\u0000${to}`;

/** Up to `cyclesMax` distinct elementary cycles, by depth-first search (iterative: the graph size is not ours). */
export function findCycles(edges: readonly WaitForEdge[], cyclesMax: number): Cycle[] {
  const next = new Map<string, string[]>();
  for (const e of edges) {
    const list = next.get(e.txnId) ?? [];
    if (!list.includes(e.waitsFor)) list.push(e.waitsFor);
    next.set(e.txnId, list);
  }
  const found = new Map<string, Cycle>();
  const state = new Map<string, 'open' | 'done'>();
  for (const root of next.keys()) {
    if (state.has(root)) continue;
    const path = [root];
    const cursor = [0];
    state.set(root, 'open');
    while (path.length > 0 && found.size < cyclesMax) {
      const node = path[path.length - 1]!;
      const out = next.get(node) ?? [];
      const i = cursor[cursor.length - 1]!;
      if (i >= out.length) {
        state.set(node, 'done');
        path.pop();
        cursor.pop();
        continue;
      }
      cursor[cursor.length - 1] = i + 1;
      const to = out[i]!;
      if (state.get(to) === 'open') {
        const cycle = path.slice(path.indexOf(to));
        found.set(cycleKey(cycle), cycle);
      } else if (!state.has(to)) {
        state.set(to, 'open');
        path.push(to);
        cursor.push(0);
      }
    }
  }
  return [...found.values()];
}

/** Whether every edge of `cycle` is among `edges`. */
export function cyclePresent(cycle: Cycle, edges: readonly WaitForEdge[]): boolean {
  const present = new Set(edges.map((e) => edgeKey(e.txnId, e.waitsFor)));
  return cycle.every((t, i) => present.has(edgeKey(t, cycle[(i + 1) % cycle.length]!)));
}

/** When the cycle closed: its most recent wait began then (times in ms on the collector's clock). */
export function formedAtMs(cycle: Cycle, edges: readonly WaitForEdge[], collectedAtMs: number): number {
  let shortest = Number.POSITIVE_INFINITY;
  for (let i = 0; i < cycle.length; i++) {
    const from = cycle[i]!;
    const to = cycle[(i + 1) % cycle.length]!;
    for (const e of edges) if (e.txnId === from && e.waitsFor === to) shortest = Math.min(shortest, e.waitedMs);
  }
  return collectedAtMs - (Number.isFinite(shortest) ? shortest : 0);
}

/** The youngest txn of the cycle (latest start; ties by id) among those with a known start; undefined if none. */
export function youngest(cycle: Cycle, startedAtMs: ReadonlyMap<string, number>): string | undefined {
  let best: string | undefined;
  let bestStart = Number.NEGATIVE_INFINITY;
  for (const t of cycle) {
    const s = startedAtMs.get(t);
    if (s === undefined) continue;
    if (s > bestStart || (s === bestStart && best !== undefined && t > best)) {
      best = t;
      bestStart = s;
    }
  }
  return best;
}

/** The waiter that has waited longest: the one a lock timeout releases first. */
export function longestWaiter(cycle: Cycle, edges: readonly WaitForEdge[]): string | undefined {
  const members = new Set(cycle);
  let best: WaitForEdge | undefined;
  for (const e of edges) if (members.has(e.txnId) && (!best || e.waitedMs > best.waitedMs)) best = e;
  return best?.txnId;
}
