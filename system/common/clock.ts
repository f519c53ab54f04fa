// All time in the services goes through a Clock: the time it is, and the timers that wait for a time. Clock skew
// can be injected at run time, and a simulation can drive time itself by supplying a virtual Clock.
// `wallMs` is the (skewable) calendar time; `monotonicMs` never jumps and is what leases use.

declare const timerBrand: unique symbol;
/** A timer set on a Clock, opaque so a virtual clock can hand out its own; clear it on the clock that set it. */
export type TimerHandle = { readonly [timerBrand]: true };

export interface TimerOptions {
  /** The timer alone does not keep the process alive (Node's `unref`); a virtual clock may ignore it. */
  unref?: boolean;
}

export interface Clock {
  wallMs(): number;
  monotonicMs(): number;
  /** Shifts wall time by `offsetMs` (the clock-skew fault). Monotonic time is unaffected. */
  setOffsetMs(offsetMs: number): void;
  offsetMs(): number;
  /** Calls `fn` once, `ms` from now. */
  setTimeout(fn: () => void, ms: number, opts?: TimerOptions): TimerHandle;
  /** Cancels a timeout not yet fired; a handle already fired, cleared or undefined is ignored. */
  clearTimeout(timer: TimerHandle | undefined): void;
  /** Calls `fn` every `ms` until cleared. */
  setInterval(fn: () => void, ms: number, opts?: TimerOptions): TimerHandle;
  clearInterval(timer: TimerHandle | undefined): void;
  /** Resolves `ms` from now, or at once when `signal` aborts (never rejects). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Resolves on a later turn of the event loop, after the I/O already due has run (Node's `setImmediate`). */
  yieldNow(): Promise<void>;
}

/** The real clock: the process's own time and Node's timers. */
export function systemClock(): Clock {
  let offset = 0;
  const timers: Pick<Clock, 'setTimeout' | 'clearTimeout'> = {
    setTimeout: (fn, ms, opts) => handle(globalThis.setTimeout(fn, ms), opts),
    clearTimeout: (timer) => globalThis.clearTimeout(timer as unknown as NodeJS.Timeout | undefined),
  };
  return {
    wallMs: () => Date.now() + offset,
    monotonicMs: () => performance.now(),
    setOffsetMs(ms) {
      offset = ms;
    },
    offsetMs: () => offset,
    ...timers,
    setInterval: (fn, ms, opts) => handle(globalThis.setInterval(fn, ms), opts),
    clearInterval: (timer) => globalThis.clearInterval(timer as unknown as NodeJS.Timeout | undefined),
    sleep: (ms, signal) => sleepOn(timers, ms, signal),
    yieldNow: () => new Promise((resolve) => globalThis.setImmediate(resolve)),
  };
}

function handle(timer: NodeJS.Timeout, opts: TimerOptions | undefined): TimerHandle {
  if (opts?.unref) timer.unref();
  return timer as unknown as TimerHandle;
}

/** `sleep` built from a clock's own timeouts, for any Clock: resolves after `ms`, or at once when `signal` aborts. */
export function sleepOn(
  timers: Pick<Clock, 'setTimeout' | 'clearTimeout'>,
  ms: number,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = timers.setTimeout(done, ms);
    function done() {
      timers.clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
