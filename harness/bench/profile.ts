// Where the time goes: V8 CPU profiles (`node --cpu-prof`) of each service, reduced to self time per function and
// per area (a file of ours, a package, a Node internal, GC). `rig bench --profile DIR` gives each service
// NODE_OPTIONS="--import=harness/bench/cpu-profiler.mjs", which writes DIR/<node>/<pid>.cpuprofile on a clean exit.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The parts of a .cpuprofile this reads. */
export interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }>;
  samples: number[];
  /** Microseconds between consecutive samples; the first is from the profile's start. */
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  selfMs: number;
  /** Share of the process's busy (non-idle) time, percent. */
  pct: number;
}

export interface ProcessProfile {
  process: string;
  files: number;
  sampledMs: number;
  busyMs: number;
  functions: SelfTime[];
  areas: SelfTime[];
  /** Time charged to the nearest function of ours on the stack (system/, harness/, lib/): what our code costs,
   * libraries and Node beneath it included. */
  ours: SelfTime[];
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/** Groups a code location: our source by path, packages by name, Node internals by module. */
export function areaOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return url.replace(/\.js$/, '');
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const ours = /\/((?:system|harness|lib|checkers|workloads)\/.+)$/.exec(url);
  return ours ? ours[1]! : url.replace(/^file:\/\//, '');
}

function label(frame: CpuProfile['nodes'][number]['callFrame']): string {
  const name = frame.functionName || '(anonymous)';
  if (!frame.url) return name;
  // tsx serves our TypeScript as one line, so line 1 says nothing there.
  const line = frame.lineNumber > 0 ? `:${frame.lineNumber + 1}` : '';
  return `${name} ${areaOf(frame.url, name)}${line}`;
}

function add(map: Map<string, number>, key: string, us: number): void {
  map.set(key, (map.get(key) ?? 0) + us);
}

const ourCode = /\/(system|harness|lib)\//;

/** For every node, the label of the nearest frame of ours at or above it ('(not ours)' when none). */
function nearestOurs(p: CpuProfile): Map<number, string> {
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(p.nodes.map((n) => [n.id, n.callFrame]));
  const memo = new Map<number, string>();
  const find = (id: number): string => {
    const path: number[] = [];
    let at: number | undefined = id;
    let found = '(not ours)';
    while (at !== undefined) {
      const known = memo.get(at);
      if (known) {
        found = known;
        break;
      }
      path.push(at);
      const frame = byId.get(at);
      if (frame && ourCode.test(frame.url)) {
        found = label(frame);
        break;
      }
      at = parent.get(at);
    }
    for (const n of path) memo.set(n, found);
    return found;
  };
  for (const n of p.nodes) find(n.id);
  return memo;
}

/** Self time (µs) per function label and per area, over one or more profiles of the same process. */
export function selfTimes(profiles: readonly CpuProfile[]) {
  const functions = new Map<string, number>();
  const areas = new Map<string, number>();
  const ours = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  for (const p of profiles) {
    const byId = new Map(p.nodes.map((n) => [n.id, n.callFrame]));
    const owner = nearestOurs(p);
    for (let i = 0; i < p.samples.length; i++) {
      // A sample stands for the time until the next one.
      const us = p.timeDeltas[i + 1] ?? 0;
      const frame = byId.get(p.samples[i]!);
      if (!frame) continue;
      totalUs += us;
      if (frame.functionName === '(idle)') {
        idleUs += us;
        continue;
      }
      add(functions, label(frame), us);
      add(areas, areaOf(frame.url, frame.functionName), us);
      add(ours, owner.get(p.samples[i]!) ?? '(not ours)', us);
    }
  }
  return { functions, areas, ours, totalUs, idleUs };
}

function top(map: Map<string, number>, busyUs: number, count: number): SelfTime[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, us]) => ({ name, selfMs: round1(us / 1000), pct: busyUs > 0 ? round1((100 * us) / busyUs) : 0 }));
}

export function summarizeProcess(process: string, profiles: readonly CpuProfile[], count = 15): ProcessProfile {
  const t = selfTimes(profiles);
  const busyUs = t.totalUs - t.idleUs;
  return {
    process,
    files: profiles.length,
    sampledMs: round1(t.totalUs / 1000),
    busyMs: round1(busyUs / 1000),
    functions: top(t.functions, busyUs, count),
    areas: top(t.areas, busyUs, count),
    ours: top(t.ours, busyUs, count),
  };
}

/** Reads DIR/<process>/*.cpuprofile for every process directory under `dir`. */
export function summarizeProfileDir(dir: string, count = 15): ProcessProfile[] {
  const out: ProcessProfile[] = [];
  for (const name of readdirSync(dir).sort()) {
    const sub = join(dir, name);
    if (!statSync(sub).isDirectory()) continue;
    const files = readdirSync(sub).filter((f) => f.endsWith('.cpuprofile'));
    if (files.length === 0) continue;
    const profiles = files.map((f) => JSON.parse(readFileSync(join(sub, f), 'utf8')) as CpuProfile);
    out.push(summarizeProcess(name, profiles, count));
  }
  return out;
}

/** A few lines per process: busy time, then the top areas and functions by self time. */
export function profileLines(processes: readonly ProcessProfile[], count = 8): string[] {
  const lines: string[] = [];
  for (const p of processes) {
    lines.push(`${p.process}: busy ${p.busyMs} ms of ${p.sampledMs} ms sampled`);
    lines.push(
      `  areas: ${p.areas
        .slice(0, count)
        .map((a) => `${a.name} ${a.pct}%`)
        .join(', ')}`,
    );
    for (const f of p.functions.slice(0, count)) lines.push(`  ${String(f.pct).padStart(5)}%  ${f.name}`);
    lines.push('  charged to our nearest frame:');
    for (const f of p.ours.slice(0, count)) lines.push(`  ${String(f.pct).padStart(5)}%  ${f.name}`);
  }
  return lines;
}
