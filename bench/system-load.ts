// Shared by the system benchmarks (bench/deadlocks.ts, bench/scheduler.ts): a real cluster on private servers, one
// session request through the gateway, and quantiles. Benchmarks measure and print; they never assert times.
import { type SystemFixture, startSystem } from '../system/__tests__/support.ts';

export type { SystemFixture };
export { startSystem };

export interface Answer {
  status: number;
  body: Record<string, unknown>;
  /** Client-side latency. */
  ms: number;
}

/** One POST /v1/sessions through the gateway; a network failure or timeout is status 0. */
export async function createSession(gatewayUrl: string, body: unknown, timeoutMs: number): Promise<Answer> {
  const started = performance.now();
  try {
    const r = await fetch(`${gatewayUrl}/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: r.status, body: (await r.json()) as Record<string, unknown>, ms: performance.now() - started };
  } catch (err) {
    return { status: 0, body: { error: (err as Error).message }, ms: performance.now() - started };
  }
}

/** The q-quantile (0..1) of `values` by nearest rank; NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Counts of `keys`, as `key=count` pairs in descending count order. */
export function tally(keys: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k}=${n}`)
    .join(' ');
}

export const ms = (v: number) => (Number.isFinite(v) ? `${Math.round(v)} ms` : 'n/a');
