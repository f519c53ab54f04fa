// The determinism guard (DESIGN section 9, "Where JavaScript leaks nondeterminism"): while a simulation runs, the
// globals that read real time, draw real randomness or set real timers are replaced by stubs. A call from the
// simulated code (system/, the models in harness/sim/models/, workloads/) throws, and is recorded so that a run whose code
// swallowed the error still fails; any other caller (the test runner, Node itself) gets the real function, since
// the rig around the simulation legitimately lives in real time. A guard in the kernel, not a convention.
//
// Not guarded: `process.nextTick` and `queueMicrotask`, which are ordered like promise reactions and run before the
// kernel's next event, and which Node's own streams call from any stack.
import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
/** Frames from these folders are the simulated code. */
const simulated = ['system/', 'harness/sim/models/', 'workloads/'].map((d) => root + d);

export interface Violation {
  what: string;
  /** The first simulated frame that made the call. */
  at: string;
}

type Patch = { target: Record<string, unknown>; key: string; real: unknown };

let installed: { patches: Patch[]; violations: Violation[] } | undefined;

/** The simulated frame in the current stack, if any (the guard's own frames skipped). */
function simulatedFrame(): string | undefined {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 40;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  for (const line of stack.split('\n').slice(1)) {
    if (simulated.some((dir) => line.includes(dir))) return line.trim().replace(/^at /, '');
  }
  return undefined;
}

function violation(what: string): void {
  const at = simulatedFrame();
  if (!at || !installed) return;
  installed.violations.push({ what, at });
  throw new Error(
    `determinism guard: ${what} called by simulated code (${at}); read time and timers through the Clock, ` +
      'and randomness through the Random, that the service was built with',
  );
}

/**
 * Installs the stubs; returns the function that removes them and gives back the violations seen. Nested installs
 * are refused: one simulation per thread (parallelism is across seeds, in other threads or processes).
 */
export function installGuard(): () => Violation[] {
  if (installed) throw new Error('the determinism guard is already installed: one simulation per thread');
  const state = { patches: [] as Patch[], violations: [] as Violation[] };
  installed = state;
  const remove = () => {
    for (const p of state.patches.reverse()) p.target[p.key] = p.real;
    syncBuiltinESMExports();
    installed = undefined;
    return state.violations;
  };
  try {
    stubAll(state);
  } catch (err) {
    remove();
    throw err;
  }
  return remove;
}

function stubAll(state: { patches: Patch[] }): void {
  const patch = (target: object, key: string, what: string) => {
    const t = target as Record<string, unknown>;
    const real = t[key] as (...args: unknown[]) => unknown;
    state.patches.push({ target: t, key, real });
    t[key] = function guarded(this: unknown, ...args: unknown[]) {
      violation(what);
      return real.apply(this, args);
    };
  };
  patch(Date, 'now', 'Date.now()');
  patch(performance, 'now', 'performance.now()');
  patch(Math, 'random', 'Math.random()');
  patch(process, 'hrtime', 'process.hrtime()');
  patch(process.hrtime, 'bigint', 'process.hrtime.bigint()');
  for (const timer of ['setTimeout', 'setInterval', 'setImmediate']) patch(globalThis, timer, `${timer}()`);
  for (const fn of ['randomUUID', 'randomBytes', 'randomInt']) patch(crypto, fn, `crypto.${fn}()`);
  patch(globalThis.crypto, 'randomUUID', 'crypto.randomUUID()');
  patch(globalThis.crypto, 'getRandomValues', 'crypto.getRandomValues()');
  const RealDate = Date;
  state.patches.push({ target: globalThis as unknown as Record<string, unknown>, key: 'Date', real: RealDate });
  globalThis.Date = new Proxy(RealDate, {
    construct(target, args, newTarget) {
      if (args.length === 0) violation('new Date()');
      return Reflect.construct(target, args, newTarget);
    },
    apply(target, thisArg, args) {
      violation('Date()');
      return Reflect.apply(target, thisArg, args);
    },
  });
  // `import { randomUUID } from 'node:crypto'` reads the module's named exports: sync them with the patched object.
  syncBuiltinESMExports();
}
