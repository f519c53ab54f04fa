// CPU time per process over a level, from Linux's /proc: where the machine's time went per transaction (the
// gateway, each session manager, the participants, PostgreSQL with all its backends, Redis, and this process,
// which drives the load and issues the floor). Unlike a sampling profile, this is the kernel's own accounting, so
// it also says whether the machine was saturated. Elsewhere than Linux it reports nothing.
import { readdirSync, readFileSync } from 'node:fs';

export interface CpuGroup {
  name: string;
  pid: number;
  /** Count every descendant too (PostgreSQL's backends are children of the postmaster). */
  tree: boolean;
}

export interface CpuSnapshot {
  /** Clock ticks (user + system) per group. */
  ticks: Record<string, number>;
  /** Machine-wide ticks: busy and all. */
  machine: { busy: number; total: number };
}

export interface CpuFigures {
  /** Share of all CPUs busy over the level, percent. */
  machineBusyPct: number;
  /** CPU milliseconds per completed transaction, per group. */
  msPerTxn: Record<string, number>;
}

/** USER_HZ: 100 on every Linux this runs on. */
const ticksPerS = 100;

interface ProcStat {
  ppid: number;
  ticks: number;
  /** Ticks of its children that have exited and been waited for (cutime + cstime). */
  reaped: number;
}

/** The fields after the command name (which may itself hold spaces and parentheses). */
export function parseStat(text: string): ProcStat | undefined {
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(fields[1]);
  const ticks = Number(fields[11]) + Number(fields[12]);
  const reaped = Number(fields[13]) + Number(fields[14]);
  return Number.isFinite(ppid) && Number.isFinite(ticks) && Number.isFinite(reaped)
    ? { ppid, ticks, reaped }
    : undefined;
}

/** `cpu  user nice system idle iowait irq softirq steal ...`: busy is all but idle and iowait. */
export function parseMachine(text: string): { busy: number; total: number } {
  const values = (text.split('\n')[0] ?? '').trim().split(/\s+/).slice(1, 9).map(Number);
  const total = values.reduce((a, b) => a + b, 0);
  return { busy: total - (values[3] ?? 0) - (values[4] ?? 0), total };
}

function readProcesses(): Map<number, ProcStat> {
  const out = new Map<number, ProcStat>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = parseStat(readFileSync(`/proc/${entry}/stat`, 'utf8'));
      if (stat) out.set(Number(entry), stat);
    } catch {
      // exited while we looked
    }
  }
  return out;
}

/**
 * Ticks of `root`, and of its descendants when `tree`: the live ones, and those that exited, through their
 * parents' reaped ticks. Without the exited ones a tree's total would drop whenever a backend ends (a pool closing
 * idle connections), and a level's figure would be lost.
 */
export function groupTicks(procs: ReadonlyMap<number, ProcStat>, root: number, tree: boolean): number {
  if (!tree) return procs.get(root)?.ticks ?? 0;
  const children = new Map<number, number[]>();
  for (const [pid, p] of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), pid]);
  let sum = 0;
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    const p = procs.get(pid);
    sum += (p?.ticks ?? 0) + (p?.reaped ?? 0);
    stack.push(...(children.get(pid) ?? []));
  }
  return sum;
}

export function cpuSnapshot(groups: readonly CpuGroup[]): CpuSnapshot | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const procs = readProcesses();
    const ticks = Object.fromEntries(groups.map((g) => [g.name, groupTicks(procs, g.pid, g.tree)]));
    return { ticks, machine: parseMachine(readFileSync('/proc/stat', 'utf8')) };
  } catch {
    return undefined;
  }
}

/** The CPU spent between two snapshots, per completed transaction. */
export function cpuBetween(
  before: CpuSnapshot | undefined,
  after: CpuSnapshot | undefined,
  completed: number,
): CpuFigures | undefined {
  if (!before || !after) return undefined;
  const total = after.machine.total - before.machine.total;
  const busy = after.machine.busy - before.machine.busy;
  const msPerTxn: Record<string, number> = {};
  for (const [name, t] of Object.entries(after.ticks)) {
    const spent = t - (before.ticks[name] ?? 0);
    // Less than before: the process was gone (stopped mid-level) when the second snapshot was taken.
    if (spent < 0) continue;
    const ms = ((spent / ticksPerS) * 1000) / Math.max(1, completed);
    msPerTxn[name] = Math.round(ms * 100) / 100;
  }
  return { machineBusyPct: total > 0 ? Math.round((1000 * busy) / total) / 10 : 0, msPerTxn };
}

/** One second's CPU: the share of the machine busy, and CPU milliseconds per group. */
export interface SecondCpu {
  busyPct: number;
  cpuMs: Record<string, number>;
}

/**
 * Samples the groups' CPU once a second until stopped; `stop` returns one entry per whole second since the start
 * (none elsewhere than Linux). For a timeline: which process was busy in the second a stall happened.
 */
export function sampleEverySecond(groups: readonly CpuGroup[]): { stop: () => SecondCpu[] } {
  const seconds: SecondCpu[] = [];
  let last = cpuSnapshot(groups);
  const timer = setInterval(() => {
    const now = cpuSnapshot(groups);
    // Per one "transaction": the second's CPU milliseconds per group.
    const second = cpuBetween(last, now, 1);
    if (second) seconds.push({ busyPct: second.machineBusyPct, cpuMs: second.msPerTxn });
    last = now;
  }, 1000);
  return {
    stop: () => {
      clearInterval(timer);
      return seconds;
    },
  };
}
