// Wait-for edges from the participants' logs. A participant killed while prepares waited never logs those waits'
// ends (nightly 2026-11-29, contention 2pc all, seed 20261129016: rm was SIGKILLed 70 ms after three waits began,
// and liveness reported them as lock-left). The waits of an incarnation that died end with its last line; waits of
// the live incarnation that never ended stay open, and so do waits of a process that was never replaced.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readObservationLines } from '../../common/log.ts';
import { readParticipantLog } from '../evidence.ts';

const root = mkdtempSync(join(tmpdir(), 'rig-locks-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function logFile(lines: Array<Record<string, unknown>>): string {
  const dir = mkdtempSync(join(root, 'run-'));
  // The last line is cut, as a SIGKILL can leave it.
  const text = lines.map((l) => JSON.stringify(l)).join('\n');
  writeFileSync(join(dir, 'participant.log'), `${text}\n{"t":`);
  return join(dir, 'participant.log');
}

const wait = (t: number, txnId: string, waitsFor: string, start: number, end?: number) => ({
  t,
  obs: 'lock-wait',
  txnId,
  waitsFor,
  resource: 'cell:cell-1',
  start,
  ...(end !== undefined ? { end } : {}),
});

function waits(logs: Record<string, Array<Record<string, unknown>>>) {
  return Object.entries(logs).flatMap(
    ([name, lines]) => readParticipantLog(name, readObservationLines(logFile(lines)), (ms) => ms * 1e6).lockWaits,
  );
}

describe('lock records', () => {
  it("ends the waits of a participant that died with its last line, and keeps the live one's open", () => {
    const got = waits({
      rm: [
        { t: 100, obs: 'listening', port: 1 },
        wait(200, 'a', 'b', 190),
        wait(210, 'c', 'b', 205),
        wait(250, 'c', 'b', 205, 240), // ended before the kill
        { t: 260, obs: 'vote', txnId: 'x' }, // the dead process's last line
        { t: 900, obs: 'listening', port: 1 }, // its replacement
        wait(1000, 'd', 'e', 990), // still open at the end of the run
      ],
    });
    const byTxn = Object.fromEntries(got.map((w) => [w.txnId, w]));
    expect(byTxn.a).toMatchObject({ participant: 'rm', start: 190e6, end: 260e6 });
    expect(byTxn.c).toMatchObject({ start: 205e6, end: 240e6 });
    expect(byTxn.d?.end).toBeUndefined();
  });

  it('leaves open the waits of a participant that was never replaced', () => {
    const got = waits({ billing: [{ t: 100, obs: 'listening', port: 1 }, wait(200, 'a', 'b', 190)] });
    expect(got).toHaveLength(1);
    expect(got[0]!.end).toBeUndefined();
  });
});

describe('decision-query paths', () => {
  it('names a query about a pre-committed transaction a pre-commit timeout, and a decision taken alone `alone`', () => {
    const lines = [
      { t: 1, obs: 'decision-query', txnId: 'a', answer: 'commit', from: 'sm-1', precommitted: false },
      { t: 2, obs: 'decision-query', txnId: 'b', answer: 'no_answer', precommitted: true },
      { t: 3, obs: 'decision-query', txnId: 'c', answer: 'commit', from: 'timeout', precommitted: true },
    ];
    const { paths } = readParticipantLog('rm', lines, (ms) => ms * 1e6);
    expect(paths.map((p) => [p.name, p.node, p.txnId, p.outcome, p.at])).toEqual([
      ['decision-query', 'rm', 'a', 'commit', 1e6],
      ['precommit-timeout', 'rm', 'b', 'no_answer', 2e6],
      ['precommit-timeout', 'rm', 'c', 'alone', 3e6],
    ]);
  });
});
