// `rig bench`'s list options. Bad input fails at once with a message naming the flag and what it accepts.

import { type Protocol, protocols as protocolChoices } from '../../system/common/contract.ts';
import { UsageError } from '../args/args.ts';

export const defaultConcurrency = [1, 4, 16, 32, 64];
/**
 * The local Postgres allows 300 connections and 256 prepared transactions. At 64 the floor holds 3 x 64
 * connections (one per worker per database) and up to 128 prepared transactions, beside the services' own pools.
 */
export const concurrencyMax = 64;

function items(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** `1,4,16`: distinct whole numbers from 1 to `max`, in ascending order. */
export function concurrencyList(value: unknown, fallback: readonly number[] = defaultConcurrency): number[] {
  if (value === undefined) return [...fallback];
  const list = items(String(value)).map(Number);
  if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 1 || n > concurrencyMax)) {
    throw new UsageError(
      `--concurrency must be a comma list of whole numbers from 1 to ${concurrencyMax}, got "${String(value)}"`,
    );
  }
  return [...new Set(list)].sort((a, b) => a - b);
}

/** `2pc,3pc`: protocols in the order given, each once. */
export function protocolList(value: unknown, fallback: readonly Protocol[] = protocolChoices): Protocol[] {
  if (value === undefined) return [...fallback];
  const list = items(String(value));
  const bad = list.filter((p) => !protocolChoices.includes(p as Protocol));
  if (list.length === 0 || bad.length > 0) {
    throw new UsageError(`--protocol must be a comma list of ${protocolChoices.join(', ')}, got "${String(value)}"`);
  }
  return [...new Set(list as Protocol[])];
}
