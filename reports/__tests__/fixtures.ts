// A synthetic run directory shaped like what `rig run` writes (docs/formats.md): a seeded sessions history with
// invoke/ok/fail/info client ops (protocol, traffic class, timings.queueMs), nemesis ops for a partition, a leader kill
// and a pause with a final heal, leader observations with epochs, config.json and results.json. Latency rises inside
// fault windows, and `invalid` plants anomalies whose ops point at real op indices. Used by the tests and the bench.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunConfig } from '../../format/config.ts';
import { Rng } from '../../lib/rng.ts';
import { timestampOf } from '../meta.ts';

export interface SyntheticRunOptions {
  seed?: number;
  /** Client ops (each an invocation and a completion). */
  ops?: number;
  processes?: number;
  durationS?: number;
  /** Plant anomalies in results.json. */
  invalid?: boolean;
  /** Leave results.json out (a run that was never checked). */
  unchecked?: boolean;
  faults?: boolean;
}

export interface SyntheticRun {
  dir: string;
  historyLength: number;
  /** The history indices the planted anomalies cite. */
  anomalyOps: number[];
}

interface Line {
  time: number;
  process: number | string;
  type: string;
  f: string;
  value: unknown;
  error?: string;
}

interface Window {
  kind: string;
  from: number;
  to: number;
  start: Record<string, unknown>;
}

const CLASSES = ['voice', 'video', 'data'] as const;
const BASE_MS = { voice: 4, video: 6, data: 9 };
const QUEUE_MS = { voice: 0.2, video: 1, data: 5 };

function gauss(rng: Rng): number {
  return Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
}

function schedule(durationMs: number, faults: boolean): Window[] {
  if (!faults) return [];
  const at = (f: number) => f * durationMs;
  return [
    {
      kind: 'partition',
      from: at(0.15),
      to: at(0.3),
      start: { isolate: 'n1', links: ['n1->redis', 'n1->coordinator-db'] },
    },
    { kind: 'leader', from: at(0.45), to: at(0.55), start: { node: 'n2', signal: 'SIGKILL' } },
    { kind: 'pause', from: at(0.7), to: at(0.78), start: { node: 'n3', signal: 'SIGSTOP' } },
  ];
}

function nemesisLines(windows: Window[], durationMs: number): Line[] {
  const out: Line[] = [];
  const op = (ms: number, f: string, value: unknown) => {
    out.push({ time: ms * 1e6, process: 'nemesis', type: 'invoke', f, value });
    out.push({ time: (ms + 0.2) * 1e6, process: 'nemesis', type: 'info', f, value });
  };
  for (const w of windows) {
    const [open, close] =
      w.kind === 'leader'
        ? ['kill-leader', 'restart-leader']
        : w.kind === 'pause'
          ? ['pause-leader', 'resume-leader']
          : ['start-partition', 'stop-partition'];
    op(w.from, open, w.start);
    op(w.to, close, { ...w.start, healed: true });
  }
  if (windows.length > 0) op(0.88 * durationMs, 'heal', { all: true });
  return out;
}

function clientLines(rng: Rng, o: Required<SyntheticRunOptions>, windows: Window[]): Line[] {
  const out: Line[] = [];
  const quota = Math.ceil(o.ops / o.processes);
  const durationMs = o.durationS * 1000;
  const inFault = (ms: number) => windows.some((w) => w.from <= ms && ms <= w.to);
  let made = 0;
  for (let p = 0; p < o.processes && made < o.ops; p++) {
    const gap = Math.max(0.05, (durationMs * 0.95) / quota - 8);
    let t = rng.next() * gap;
    for (let k = 0; k < quota && made < o.ops; k++, made++) {
      const cls = CLASSES[rng.int(0, 2)]!;
      const protocol = rng.chance(0.5) ? '2pc' : '3pc';
      const fault = inFault(t);
      const requestId = `r${p}-${k}`;
      out.push({
        time: t * 1e6,
        process: p,
        type: 'invoke',
        f: 'create-session',
        value: {
          requestId,
          subscriberId: `sub${rng.int(0, 99)}`,
          trafficClass: cls,
          protocol,
          cells: [`c${rng.int(0, 9)}`],
        },
      });
      let latency =
        BASE_MS[cls] * (protocol === '3pc' ? 1.4 : 1) * Math.exp(0.5 * gauss(rng)) * (fault ? 5 + 25 * rng.next() : 1);
      const roll = rng.next();
      const timings = { queueMs: QUEUE_MS[cls] * Math.exp(gauss(rng)) * (fault ? 8 : 1), totalMs: latency };
      let end: Omit<Line, 'time'>;
      if (fault && roll < 0.04) {
        latency = 1000;
        end = { process: p, type: 'info', f: 'create-session', value: { status: 504 }, error: 'timeout' };
      } else if (fault && roll < 0.15) {
        end = { process: p, type: 'fail', f: 'create-session', value: { status: 503, reason: 'not_leader' } };
      } else if (roll < 0.06) {
        const reason = rng.pick(['no-capacity', 'vote-no', 'lock-timeout']);
        end = {
          process: p,
          type: 'fail',
          f: 'create-session',
          value: { sessionId: `s${p}-${k}`, txnId: `t${p}-${k}`, outcome: 'aborted', reason, status: 409, timings },
        };
      } else {
        end = {
          process: p,
          type: 'ok',
          f: 'create-session',
          value: { sessionId: `s${p}-${k}`, txnId: `t${p}-${k}`, outcome: 'committed', timings },
        };
      }
      out.push({ ...end, time: (t + Math.max(latency, 0.05)) * 1e6 });
      t += Math.max(latency, 0.05) + gap * (0.5 + rng.next());
      // Now and then the same client changes the session it created: alternately committed and refused (412).
      if (end.type === 'ok' && k % 4 === 1 && made + 1 < o.ops) {
        made++;
        const sessionId = `s${p}-${k}`;
        const refused = k % 8 === 1;
        out.push({
          time: t * 1e6,
          process: p,
          type: 'invoke',
          f: 'modify-session',
          value: { requestId: `${requestId}-m`, sessionId, ifMatch: refused ? 0 : 1, trafficClass: 'data' },
        });
        const value = refused
          ? { status: 412, code: 'precondition_failed', sessionId, revision: 1 }
          : { sessionId, txnId: `t${p}-${k}-m`, outcome: 'committed', kind: 'modify', revision: 2 };
        const error = refused ? { error: 'precondition_failed' } : {};
        t += 2;
        out.push({ time: t * 1e6, process: p, type: refused ? 'fail' : 'ok', f: 'modify-session', value, ...error });
        t += gap * 0.5;
      }
    }
  }
  return out;
}

function leaderRecords(windows: Window[]): unknown[] {
  const ns = (ms: number) => ms * 1e6;
  const out: unknown[] = [{ kind: 'leader', node: 'n1', epoch: 1, event: 'acquire', at: ns(1) }];
  const [partition, kill, pause] = windows;
  if (partition) {
    out.push({ kind: 'leader', node: 'n1', epoch: 1, event: 'renew-failed', at: ns(partition.from + 400) });
    out.push({ kind: 'leader', node: 'n2', epoch: 2, event: 'acquire', at: ns(partition.from + 900) });
  }
  if (kill) out.push({ kind: 'leader', node: 'n3', epoch: 3, event: 'acquire', at: ns(kill.from + 1200) });
  if (pause) {
    out.push({ kind: 'leader', node: 'n1', epoch: 4, event: 'acquire', at: ns(pause.from + 1500) });
    out.push({ kind: 'leader', node: 'n3', epoch: 3, event: 'step-down', at: ns(pause.to + 10) });
  }
  return out;
}

function results(history: Line[], invalid: boolean): { json: unknown; cited: number[] } {
  const oks = history.flatMap((l, i) => (l.type === 'ok' ? [i] : []));
  const invokeOf = (c: number) =>
    history.findLastIndex((l, i) => i < c && l.process === history[c]!.process && l.type === 'invoke');
  const pick = (k: number) => {
    const c = oks[Math.floor((oks.length * k) / 5)] ?? 0;
    return [invokeOf(c), c];
  };
  const valid = { valid: true, anomalies: [], stats: { anomalies: {} } };
  const a = pick(1);
  const b = pick(3);
  const atomicity = invalid
    ? {
        valid: false,
        anomalies: [
          {
            type: 'ok-not-committed',
            key: 't-a',
            ops: a,
            explanation: 'client saw ok but the coordinator logged aborted',
            details: { logged: 'aborted' },
          },
          { type: 'partial-commit', key: 't-b', ops: b, explanation: 'rm committed, billing aborted' },
        ],
        stats: { anomalies: { 'ok-not-committed': 1, 'partial-commit': 1 } },
      }
    : valid;
  const checkers = {
    atomicity,
    conservation: valid,
    'single-leader': valid,
    'stream-ordering': valid,
    liveness: { ...valid, stats: { anomalies: {}, deadlocks: { detector: { count: 3, resolveMedianMs: 182.44 } } } },
    linearizable: { valid: 'unknown', anomalies: [], stats: {}, error: 'time limit of 10000 ms reached' },
  };
  return {
    json: { valid: invalid ? false : 'unknown', input: 'synthetic', ops: history.length, results: checkers },
    cited: invalid ? [...a, ...b] : [],
  };
}

export function writeSyntheticRun(dir: string, options: SyntheticRunOptions = {}): SyntheticRun {
  const o: Required<SyntheticRunOptions> = {
    seed: 7,
    ops: 2000,
    processes: 10,
    durationS: 30,
    invalid: false,
    unchecked: false,
    faults: true,
    ...options,
  };
  const rng = new Rng(o.seed);
  const durationMs = o.durationS * 1000;
  const windows = schedule(durationMs, o.faults);
  const lines = [...clientLines(rng, o, windows), ...nemesisLines(windows, durationMs)];
  lines.sort((x, y) => x.time - y.time);
  mkdirSync(join(dir, 'observations'), { recursive: true });
  writeFileSync(join(dir, 'history.jsonl'), `${lines.map((l, index) => JSON.stringify({ index, ...l })).join('\n')}\n`);
  writeFileSync(
    join(dir, 'observations', 'leader.jsonl'),
    `${leaderRecords(windows)
      .map((r) => JSON.stringify(r))
      .join('\n')}\n`,
  );
  const command = `rig run --workload sessions --protocol mixed --nemesis partition,kill,pause --time-limit ${o.durationS} --concurrency ${o.processes} --seed ${o.seed}`;
  const config: RunConfig = {
    options: {
      workload: 'sessions',
      protocol: 'mixed',
      nemesis: o.faults ? 'partition,kill,pause' : 'none',
      timeLimitS: o.durationS,
      rate: 50,
      concurrency: o.processes,
      seed: o.seed,
      nodes: 3,
      env: 'auto',
      store: 'store',
      quietS: 15,
      leaseTtlMs: 2000,
      subscribers: 1000,
      cells: 100,
      command,
    },
    seed: o.seed,
    schedule: windows.map((w) => ({
      startMs: Math.round(w.from),
      endMs: Math.round(w.to),
      nemesis: w.kind,
      variant: 'default',
    })),
    // The run's start as its directory name says (the store index orders runs by it).
    startedAt: timestampOf(dir) || '2026-01-01T00:00:00.000Z',
    versions: { node: process.version, rig: '0.1.0' },
  };
  writeFileSync(join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  const r = results(lines, o.invalid);
  if (!o.unchecked) writeFileSync(join(dir, 'results.json'), `${JSON.stringify(r.json, null, 2)}\n`);
  return { dir, historyLength: lines.length, anomalyOps: r.cited };
}
