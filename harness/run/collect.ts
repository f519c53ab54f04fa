// After the quiet window: the servers' evidence, written as observations/*.jsonl (format/observations.ts). Each
// service reads its own tables and logs (system/<service>/evidence.ts); this file opens nothing of its own, reads
// each log file once and places server wall-clock times on the history's time base.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Observation } from '../../format/observations.ts';
import { OBSERVATIONS_DIR } from '../../format/run-dir.ts';
import { chargeOf, readAccounts } from '../../system/billing/evidence.ts';
import { type ObservationLine, readObservationLines } from '../../system/common/log.ts';
import type { Queryable } from '../../system/common/statements.ts';
import { readLeftPrepared, readParticipantLog, readParticipantTxns } from '../../system/participant/evidence.ts';
import { readCells, reservationOf } from '../../system/resource-manager/evidence.ts';
import { readDsmAudit, readEvents, readTxnLog } from '../../system/session-manager/evidence.ts';
import { readSessionManagerLogs } from '../../system/session-manager/evidence-log.ts';
import { readSessionManagerPaths } from '../../system/session-manager/evidence-paths.ts';

const participantNames = ['rm', 'billing'] as const;
/** Each participant's reading of what its prepares recorded: the cells rm reserved, the charge billing held. */
const detailReaders = { rm: reservationOf, billing: chargeOf } as const;

export interface CollectInputs {
  runDir: string;
  /** The stores, as a real server's client or a simulation's model answers them. */
  redis: Parameters<typeof readDsmAudit>[0] & Parameters<typeof readEvents>[0];
  coordinator: Queryable;
  participants: Record<(typeof participantNames)[number], Queryable>;
  smNodes: readonly string[];
  /** Converts a server's wall-clock reading (ms) to ns on the history's time base. */
  wallToNs(ms: number): number;
  nowNs: number;
}

const logLines = (runDir: string, node: string): ObservationLine[] =>
  readObservationLines(join(runDir, 'logs', `${node}.log`));

async function resources(c: CollectInputs, phase: 'initial' | 'final', at: number): Promise<Observation[]> {
  const [accounts, cells] = await Promise.all([
    readAccounts(c.participants.billing, phase, at),
    readCells(c.participants.rm, phase, at),
  ]);
  return [...accounts, ...cells];
}

function write(runDir: string, name: string, records: readonly Observation[]): void {
  writeFileSync(
    join(runDir, OBSERVATIONS_DIR, `${name}.jsonl`),
    records.map((r) => JSON.stringify(r)).join('\n') + (records.length ? '\n' : ''),
  );
}

/** The initial account/cell snapshot, taken before the workload starts. */
export async function collectInitial(c: CollectInputs): Promise<void> {
  write(c.runDir, 'resources-initial', await resources(c, 'initial', 0));
}

/** `read` run at most once, its value or its failure kept: several sources share one reading. */
function once<T>(read: () => T): () => T {
  let done: { value: T } | { error: unknown } | undefined;
  return () => {
    if (!done) {
      try {
        done = { value: read() };
      } catch (error) {
        done = { error };
      }
    }
    if ('error' in done) throw done.error;
    return done.value;
  };
}

/** Everything after the quiet window. Each source is written on its own, so one failing source loses only itself. */
export async function collectFinal(c: CollectInputs): Promise<string[]> {
  const toNs = (ms: number) => c.wallToNs(ms);
  const smLines = once(() => c.smNodes.map((node) => ({ node, lines: logLines(c.runDir, node) })));
  const sm = once(() => readSessionManagerLogs(smLines(), toNs));
  const logs = {
    rm: once(() => readParticipantLog('rm', logLines(c.runDir, 'rm'), toNs)),
    billing: once(() => readParticipantLog('billing', logLines(c.runDir, 'billing'), toNs)),
  };
  const participant = (p: (typeof participantNames)[number]) => async () => {
    const votes = logs[p]().votes;
    const [txns, left] = await Promise.all([
      readParticipantTxns(c.participants[p], p, votes, toNs, detailReaders[p]),
      readLeftPrepared(c.participants[p], p, votes, { toNs, nowNs: c.nowNs }),
    ]);
    return [...txns, ...left];
  };
  const txnLog = once(() => readTxnLog(c.coordinator, sm().votes, toNs));
  const sources: Array<[string, () => Promise<readonly Observation[]> | readonly Observation[]]> = [
    ['txn', async () => (await txnLog()).txns],
    ['rm', participant('rm')],
    ['billing', participant('billing')],
    ['redis', async () => [...(await readDsmAudit(c.redis, toNs)), ...(await readEvents(c.redis, toNs))]],
    ['leadership', () => sm().leadership],
    ['fenced-writes', () => participantNames.flatMap((p) => logs[p]().refused)],
    ['txlog-writes', async () => (await txnLog()).writes],
    ['locks', () => [...participantNames.flatMap((p) => logs[p]().lockWaits), ...sm().deadlocks]],
    ['resources-final', () => resources(c, 'final', c.nowNs)],
    ['paths', () => [...readSessionManagerPaths(smLines(), toNs), ...participantNames.flatMap((p) => logs[p]().paths)]],
    ['queue', () => sm().queue],
  ];
  const problems: string[] = [];
  for (const [name, read] of sources) {
    try {
      write(c.runDir, name, await read());
    } catch (err) {
      problems.push(`${name}: ${(err as Error).message}`);
    }
  }
  return problems;
}
