// All time in the services goes through a Clock, so clock skew can be injected at run time and a simulation can
// drive time itself. `wallMs` is the (skewable) calendar time; `monotonicMs` never jumps and is what leases use.

export interface Clock {
  wallMs(): number;
  monotonicMs(): number;
  /** Shifts wall time by `offsetMs` (the clock-skew fault). Monotonic time is unaffected. */
  setOffsetMs(offsetMs: number): void;
  offsetMs(): number;
}

export function systemClock(): Clock {
  let offset = 0;
  return {
    wallMs: () => Date.now() + offset,
    monotonicMs: () => performance.now(),
    setOffsetMs(ms) {
      offset = ms;
    },
    offsetMs: () => offset,
  };
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
