// Process-wide teardown. Every server or service the rig starts is tracked here so that no exit path
// (normal exit, an uncaught error, Ctrl-C, SIGTERM) leaves one behind.
//
// - Cleanups registered with `onShutdown` run (newest first) on SIGINT/SIGTERM/SIGHUP, bounded by a deadline.
// - Children registered with `trackChild` are SIGKILLed synchronously on process exit if still alive, which also
//   covers the paths where no async cleanup can run.
import type { ChildProcess } from 'node:child_process';

type Cleanup = () => Promise<void>;

const cleanups = new Set<Cleanup>();
const children = new Set<ChildProcess>();
let installed = false;
let shuttingDown = false;
const shutdownDeadlineMs = 20_000;

const signalNumbers: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

function killAllNow(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        // Detached children lead their own process group: kill the whole group (postgres backends too).
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        try {
          child.kill('SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  }
}

async function runCleanups(): Promise<void> {
  const list = [...cleanups].reverse();
  cleanups.clear();
  for (const fn of list) {
    try {
      await fn();
    } catch (err) {
      process.stderr.write(`teardown step failed: ${(err as Error).message}\n`);
    }
  }
}

function onSignal(signal: NodeJS.Signals): void {
  if (shuttingDown) {
    // Second signal: stop waiting.
    killAllNow();
    process.exit(128 + (signalNumbers[signal] ?? 0));
  }
  shuttingDown = true;
  const timer = setTimeout(() => {
    process.stderr.write(`teardown did not finish within ${shutdownDeadlineMs} ms; killing what is left\n`);
    killAllNow();
    process.exit(128 + (signalNumbers[signal] ?? 0));
  }, shutdownDeadlineMs);
  timer.unref();
  void runCleanups().finally(() => {
    killAllNow();
    process.exit(128 + (signalNumbers[signal] ?? 0));
  });
}

function install(): void {
  if (installed) return;
  installed = true;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, onSignal);
  process.on('exit', killAllNow);
}

/**
 * Long-running commands call this: if our parent dies (say `npm exec`, which does not pass SIGTERM on), we are
 * re-parented and tear down as if we had been sent SIGTERM, instead of running on with every server.
 */
export function stopWhenOrphaned(): void {
  install();
  const parent = process.ppid;
  if (parent <= 1) return;
  setInterval(() => {
    if (process.ppid !== parent && !shuttingDown) onSignal('SIGTERM');
  }, 1000).unref();
}

/** Registers an async teardown step run on a terminating signal. Returns a function that unregisters it. */
export function onShutdown(fn: Cleanup): () => void {
  install();
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

/** Tracks a child so it is SIGKILLed (with its process group) if this process exits while it still runs. */
export function trackChild(child: ChildProcess): void {
  install();
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/** True once a terminating signal has started teardown: long loops should stop early. */
export function isShuttingDown(): boolean {
  return shuttingDown;
}
