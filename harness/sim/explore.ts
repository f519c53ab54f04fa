// Exploration (rig sim --seeds A..B): many seeds of one configuration, in parallel worker threads, each simulated and
// checked. It stops at the first seed that is not valid unless told to keep going, and keeps the run directory of
// every such seed (in the store, as any run) while a valid seed leaves nothing behind. Each seed replays on its own:
// `rig sim --seed N` with the same options, or `rig repro <its run directory>`.
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { RunOptions } from '../../format/config.ts';
import { newRunDir } from '../run/store.ts';
import type { SeedResult } from './seed.ts';

export interface Exploration {
  base: RunOptions;
  seeds: readonly number[];
  workers: number;
  keepGoing: boolean;
  /** Called after every seed. */
  onSeed?: (r: SeedResult, progress: { done: number; failed: number; elapsedMs: number }) => void;
}

export interface ExplorationOutcome {
  results: SeedResult[];
  /** A seed the worker could not run at all (an exception, not a verdict). */
  errors: Array<{ seed: number; error: string }>;
  stoppedEarly: boolean;
  elapsedMs: number;
}

const workerEntry = new URL('../../bin/sim-worker.js', import.meta.url);

/** Parses `A..B` (inclusive) or a single seed. */
export function parseSeedRange(spec: string): number[] {
  const m = /^(\d+)(?:\.\.(\d+))?$/.exec(spec.trim());
  if (!m) throw new Error(`--seeds takes A..B (e.g. 1..1000) or one seed, got "${spec}"`);
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || to < from) {
    throw new Error(`--seeds ${spec}: need whole numbers with A <= B`);
  }
  if (to - from >= 1_000_000) throw new Error(`--seeds ${spec}: at most 1,000,000 seeds at once`);
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

export async function explore(x: Exploration): Promise<ExplorationOutcome> {
  const started = performance.now();
  const scratch = join(x.base.store, '.explore', String(process.pid));
  const results: SeedResult[] = [];
  const errors: ExplorationOutcome['errors'] = [];
  let next = 0;
  let stop = false;
  const failedCount = () => results.filter((r) => r.valid !== true).length + errors.length;
  const runWorker = (index: number) =>
    new Promise<void>((resolve, reject) => {
      const store = join(scratch, `w${index}`);
      mkdirSync(store, { recursive: true });
      const worker = new Worker(workerEntry, { workerData: { base: x.base, store } });
      const feed = () => {
        if (stop || next >= x.seeds.length) {
          void worker.terminate().then(() => resolve());
          return;
        }
        worker.postMessage(x.seeds[next++]);
      };
      worker.on('message', (m: { result?: SeedResult; seed?: number; error?: string }) => {
        if (m.result) {
          const r = m.result.runDir ? { ...m.result, runDir: keep(x.base, m.result.runDir) } : m.result;
          results.push(r);
          if (r.valid !== true && !x.keepGoing) stop = true;
          x.onSeed?.(r, {
            done: results.length + errors.length,
            failed: failedCount(),
            elapsedMs: performance.now() - started,
          });
        } else {
          errors.push({ seed: m.seed ?? -1, error: m.error ?? 'unknown error' });
          if (!x.keepGoing) stop = true;
        }
        feed();
      });
      worker.on('error', reject);
      feed();
    });
  try {
    await Promise.all(Array.from({ length: Math.max(1, x.workers) }, (_, i) => runWorker(i)));
  } finally {
    rmSync(join(x.base.store, '.explore'), { recursive: true, force: true });
  }
  results.sort((a, b) => a.seed - b.seed);
  return {
    results,
    errors,
    stoppedEarly: results.length + errors.length < x.seeds.length,
    elapsedMs: performance.now() - started,
  };
}

/** Moves a kept run directory from a worker's scratch store into the store proper. */
function keep(base: RunOptions, scratchDir: string): string {
  const dir = newRunDir(base.store, `${base.workload}-${base.protocol}`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(scratchDir, dir);
  return dir;
}
