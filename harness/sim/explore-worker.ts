// A worker thread of an exploration: takes one seed at a time from the parent (sim/explore.ts), runs it, answers.
import { parentPort, workerData } from 'node:worker_threads';
import type { RunOptions } from '../../format/config.ts';
import { runSeed } from './seed.ts';

const { base, store } = workerData as { base: RunOptions; store: string };
parentPort?.on('message', (seed: number) => {
  runSeed(base, seed, store).then(
    (result) => parentPort?.postMessage({ result }),
    (err: unknown) => parentPort?.postMessage({ seed, error: (err as Error).stack ?? String(err) }),
  );
});
