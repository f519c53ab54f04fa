// Single leader: epochs strictly increase, one node per epoch, a leader that fails to renew steps down, no store
// accepted a write carrying a lower token than one it had already accepted, and no two nodes made accepted decisions
// in overlapping time (decisions in time order never go back to an older epoch held by another node).

import type { Observation, Observations, ParticipantRecord } from '../format/observations.ts';
import { groupBy, sortedBy } from './collections.ts';
import { type AnomalyLog, anomalyLog, type Checker } from './result.ts';

function checkEpochs(obs: Observations, out: AnomalyLog): void {
  const acquires = sortedBy(
    obs.leader.filter((l) => l.event === 'acquire'),
    (l) => l.at,
  );
  let highest: { epoch: number; node: string } | undefined;
  for (const a of acquires) {
    if (highest && a.epoch <= highest.epoch) {
      out.add(
        'epoch-not-increasing',
        String(a.epoch),
        [],
        `${a.node} acquired epoch ${a.epoch} at ${a.at} ns after ${highest.node} had acquired epoch ${highest.epoch}`,
      );
    }
    if (!highest || a.epoch > highest.epoch) highest = { epoch: a.epoch, node: a.node };
  }
  for (const [epoch, records] of groupBy(obs.leader, (l) => l.epoch)) {
    const nodes = [...new Set(records.map((r) => r.node))];
    if (nodes.length > 1)
      out.add('two-nodes-one-epoch', String(epoch), [], `epoch ${epoch} held by ${nodes.join(' and ')}`);
  }
}

/**
 * A record of an accepted write: it carries the writer's token and when the store accepted it. A participant record
 * whose token was never observed is no evidence about fencing: it is skipped, and counted as such.
 */
type Written = Extract<Observation, { token: number; at: number }> | (ParticipantRecord & { token: number });

const tokenObserved = (p: ParticipantRecord): p is ParticipantRecord & { token: number } => p.token !== undefined;

function describeWrite(r: Written): string {
  switch (r.kind) {
    case 'fenced-write':
      // e.g. "intent:txn-1 by sm-1", "fence" (a raise: no node)
      return `${r.key ?? 'write'}${r.node ? ` by ${r.node}` : ''}`;
    case 'dsm':
      return `DSM ${r.sessionId} v${r.version}`;
    case 'participant':
      return `${r.participant} ${r.state} ${r.txnId}`;
    case 'event':
      return `event ${r.entryId}`;
  }
}

/** Accepted writes per store, as lists of the records themselves (millions of them: no wrapper objects). */
function writesByStore(obs: Observations): Map<string, readonly Written[]> {
  const out = new Map<string, readonly Written[]>();
  // A store may appear both in fenced-write records and as a participant (e.g. "rm"): its lists are merged.
  const add = (store: string, list: readonly Written[]) => out.set(store, [...(out.get(store) ?? []), ...list]);
  for (const [store, list] of groupBy(obs['fenced-write'], (w) => w.store))
    add(
      store,
      list.filter((w) => w.accepted),
    );
  for (const [name, list] of groupBy(obs.participant.filter(tokenObserved), (p) => p.participant)) add(name, list);
  if (obs.dsm.length > 0) add('dsm', obs.dsm);
  if (obs.event.length > 0) add('stream', obs.event);
  return out;
}

function checkTokens(obs: Observations, out: AnomalyLog): number {
  let count = 0;
  for (const [store, list] of writesByStore(obs)) {
    count += list.length;
    // Writes at the same instant cannot be ordered (a store's clock is read to the millisecond or microsecond):
    // each write is judged against the highest token of strictly earlier ones only.
    let highest: Written | undefined;
    let highestNow: Written | undefined;
    let now = Number.NEGATIVE_INFINITY;
    for (const w of sortedBy(list, (x) => x.at)) {
      if (w.at !== now) {
        if (highestNow && (!highest || highestNow.token > highest.token)) highest = highestNow;
        highestNow = undefined;
        now = w.at;
      }
      if (highest && w.token < highest.token) {
        const what = `${describeWrite(w)} with token ${w.token} at ${w.at} ns`;
        const before = `token ${highest.token} (${describeWrite(highest)})`;
        out.add('stale-token-accepted', store, [], `${store} accepted ${what} after accepting ${before}`);
      }
      if (!highestNow || w.token > highestNow.token) highestNow = w;
    }
  }
  return count;
}

function checkDecisions(obs: Observations, out: AnomalyLog): number {
  const decisions = sortedBy(
    obs.txn.filter((t) => t.decidedAt !== undefined && t.decidedBy !== undefined),
    (t) => t.decidedAt!,
  );
  let newest: { token: number; node: string; txnId: string } | undefined;
  for (const d of decisions) {
    const node = d.decidedBy!;
    const token = d.decisionToken ?? d.token;
    if (newest && node !== newest.node && token <= newest.token) {
      out.add(
        'overlapping-decisions',
        d.txnId,
        [],
        `${node} (token ${token}) decided ${d.txnId} at ${d.decidedAt} ns after ${newest.node} (token ${newest.token}) had decided ${newest.txnId}`,
      );
    }
    if (!newest || token > newest.token) newest = { token, node, txnId: d.txnId };
  }
  return decisions.length;
}

/**
 * A leader whose lease renewal failed must step down at once (it can no longer know it leads): a renew-failed
 * record that no step-down of the same node and epoch follows means it kept leading after losing its lease.
 */
function checkStepDowns(obs: Observations, out: AnomalyLog): void {
  for (const [node, records] of groupBy(obs.leader, (l) => l.node)) {
    const sorted = sortedBy(records, (l) => l.at);
    sorted.forEach((r, i) => {
      if (r.event !== 'renew-failed') return;
      const later = sorted.slice(i + 1);
      const next = later.findIndex((l) => l.event === 'acquire');
      const window = next < 0 ? later : later.slice(0, next);
      if (!window.some((l) => l.event === 'step-down' && l.epoch === r.epoch)) {
        out.add(
          'kept-leading',
          String(r.epoch),
          [],
          `${node} failed to renew its lease for epoch ${r.epoch} at ${r.at} ns and never stepped down`,
        );
      }
    });
  }
}

export const singleLeader: Checker = {
  name: 'single-leader',
  coverage: ['leaderRecords', 'epochs', 'fencedWrites'],
  check(_history, observations, opts) {
    const out = anomalyLog(opts);
    checkEpochs(observations, out);
    checkStepDowns(observations, out);
    const writes = checkTokens(observations, out);
    const decisions = checkDecisions(observations, out);
    const epochs = new Set(observations.leader.map((l) => l.epoch)).size;
    const withoutToken = observations.participant.filter((p) => p.token === undefined).length;
    return out.result({
      leaderRecords: observations.leader.length,
      epochs,
      fencedWrites: writes,
      decisions,
      skippedWithoutToken: withoutToken,
    });
  },
};
