// Faults: were the faults the run meant to inject injected, and was everything healed? Every other checker's
// "after the final heal" assumes the final heal worked: liveness gives transactions a deadline from it, atomicity
// demands nothing left prepared. A final heal that failed (a link still cut, a process still paused) leaves those
// verdicts without their premise, so the run is `unknown`, never valid. A fault or a heal that failed inside the
// schedule is counted: the run still judged what happened, but it saw fewer faults than planned.
// Applies only to runs with a fault schedule: a history without one has nothing to examine here.
import type { HistoryOp } from '../format/history.ts';
import { NEMESIS } from '../format/history.ts';
import type { Checker, Result } from './result.ts';

/** The nemesis op that ends every scheduled run (harness/run/nemesis-loop.ts). */
export const FINAL_HEAL = 'final-heal';

interface Tally {
  started: number;
  startsFailed: number;
  healed: number;
  healsFailed: number;
  failures: string[];
  finalHeal: HistoryOp | undefined;
}

function tally(history: readonly HistoryOp[]): Tally {
  const t: Tally = { started: 0, startsFailed: 0, healed: 0, healsFailed: 0, failures: [], finalHeal: undefined };
  for (const op of history) {
    if (op.process !== NEMESIS || op.type === 'invoke') continue;
    // An empty error says nothing failed (the writers never write one; a hand-written history might).
    const failed = Boolean(op.error);
    if (failed) t.failures.push(`${op.f} (op ${op.index}): ${op.error}`);
    if (op.f === FINAL_HEAL) t.finalHeal = op;
    else if (op.f.startsWith('start-')) {
      t.started++;
      if (failed) t.startsFailed++;
    } else if (op.f.startsWith('stop-')) {
      t.healed++;
      if (failed) t.healsFailed++;
    }
  }
  return t;
}

export const faults: Checker = {
  name: 'faults',
  coverage: ['windows'],
  check(history): Result {
    const t = tally(history);
    const stats = {
      windows: t.started,
      startsFailed: t.startsFailed,
      heals: t.healed,
      healsFailed: t.healsFailed,
      finalHeal: t.finalHeal === undefined ? 'missing' : t.finalHeal.error ? 'failed' : 'ok',
      failures: t.failures,
    };
    const unknown = (error: string): Result => ({ valid: 'unknown', anomalies: [], stats, error });
    if (t.finalHeal === undefined) {
      return unknown('the history has no final heal: the run stopped before its schedule ended, or had none');
    }
    if (t.finalHeal.error) {
      return unknown(`the final heal failed (op ${t.finalHeal.index}): ${t.finalHeal.error}`);
    }
    return { valid: true, anomalies: [], stats };
  },
};
