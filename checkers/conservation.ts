// Conservation: credit and channels are neither created nor destroyed. Per account balance + held + spent + charged
// is constant (a release settles: its credit moves from spent to charged) and per cell free + held + used equals the
// capacity; no balance goes negative and no cell is over-booked. Mid-run `read-totals` ops must see the totals.
// committed.ts judges the committed creates, modifies and releases from two sides: what each client asked for
// against what the participants committed for it, and what the snapshots say moved against those commits.

import { type HistoryOp, pairHistory, SESSION_F } from '../format/history.ts';
import type { AccountRecord, CellRecord, Observations } from '../format/observations.ts';
import { isPlainObject } from '../format/schema.ts';
import { indexBy } from './collections.ts';
import { compareCommitted, compareMoved } from './committed.ts';
import { type AnomalyLog, anomalyLog, type Checker } from './result.ts';

// `held` absent: not observable in a committed snapshot, where a prepared hold has moved nothing yet. `charged`
// absent: a run recorded before sessions could be released.
const creditOf = (a: AccountRecord) => a.balance + (a.held ?? 0) + a.spent + (a.charged ?? 0);
const channelsOf = (c: CellRecord) => c.free + (c.held ?? 0) + c.used;
const sum = (xs: Iterable<number>) => {
  let total = 0;
  for (const x of xs) total += x;
  return total;
};

function checkAccounts(obs: Observations, out: AnomalyLog): void {
  for (const a of obs.account) {
    if (a.balance < 0 || (a.held ?? 0) < 0 || a.spent < 0 || (a.charged ?? 0) < 0) {
      const charged = a.charged === undefined ? '' : `, charged ${a.charged}`;
      out.add(
        'negative-balance',
        a.accountId,
        [],
        `${a.phase}: balance ${a.balance}, held ${a.held}, spent ${a.spent}${charged}`,
      );
    }
  }
  const initial = indexBy(
    obs.account.filter((a) => a.phase === 'initial'),
    (a) => a.accountId,
  );
  const final = indexBy(
    obs.account.filter((a) => a.phase === 'final'),
    (a) => a.accountId,
  );
  if (final.size === 0) return;
  for (const id of new Set([...initial.keys(), ...final.keys()])) {
    const before = initial.get(id);
    const after = final.get(id);
    if (!before || !after) {
      out.add('credit-total-changed', id, [], `account only in the ${before ? 'initial' : 'final'} snapshot`);
    } else if (creditOf(before) !== creditOf(after)) {
      const terms = before.charged === undefined && after.charged === undefined ? '' : '+charged';
      const says = `balance+held+spent${terms} was ${creditOf(before)}, is ${creditOf(after)}`;
      out.add('credit-total-changed', id, [], says);
    }
  }
}

function checkCells(obs: Observations, out: AnomalyLog): void {
  for (const c of obs.cell) {
    const key = String(c.cellId);
    if (c.used + (c.held ?? 0) > c.capacity || c.free < 0) {
      out.add('over-booked-cell', key, [], `${c.phase}: used ${c.used} + held ${c.held} of capacity ${c.capacity}`);
    }
    if (channelsOf(c) !== c.capacity) {
      out.add(
        'capacity-total-changed',
        key,
        [],
        `${c.phase}: free+held+used = ${channelsOf(c)}, capacity ${c.capacity}`,
      );
    }
  }
  const initial = indexBy(
    obs.cell.filter((c) => c.phase === 'initial'),
    (c) => String(c.cellId),
  );
  const final = indexBy(
    obs.cell.filter((c) => c.phase === 'final'),
    (c) => String(c.cellId),
  );
  for (const [id, after] of final) {
    const before = initial.get(id);
    if (before && before.capacity !== after.capacity) {
      out.add('capacity-total-changed', id, [], `capacity was ${before.capacity}, is ${after.capacity}`);
    }
  }
}

/** Every ok read-totals must see the initial totals (the workload reads them in one snapshot). */
function checkReads(history: readonly HistoryOp[], obs: Observations, out: AnomalyLog): number {
  const credit = sum(obs.account.filter((a) => a.phase === 'initial').map(creditOf));
  const channels = sum(obs.cell.filter((c) => c.phase === 'initial').map((c) => c.capacity));
  const pairs = pairHistory(history);
  let reads = 0;
  for (const op of history) {
    if (op.type !== 'ok' || op.f !== SESSION_F.readTotals || !isPlainObject(op.value)) continue;
    reads++;
    const ops = [pairs.invocation[op.index]!, op.index];
    const seen = op.value;
    if (obs.account.length > 0 && typeof seen.credit === 'number' && seen.credit !== credit) {
      out.add('credit-total-changed', 'credit', ops, `read total credit ${seen.credit}, expected ${credit}`);
    }
    if (obs.cell.length > 0 && typeof seen.channels === 'number' && seen.channels !== channels) {
      out.add('capacity-total-changed', 'channels', ops, `read total channels ${seen.channels}, expected ${channels}`);
    }
  }
  return reads;
}

export const conservation: Checker = {
  name: 'conservation',
  coverage: ['accounts', 'cells', 'reads', 'charges', 'reservations', 'modifies', 'releases'],
  check(history, observations, opts) {
    const out = anomalyLog(opts);
    checkAccounts(observations, out);
    checkCells(observations, out);
    const reads = checkReads(history, observations, out);
    const compared = compareCommitted(history, observations, out);
    const moved = compareMoved(observations, out);
    return out.result({
      accounts: observations.account.length,
      cells: observations.cell.length,
      reads,
      ...compared,
      ...moved,
    });
  },
};
