// What a report and the index say about a run, read leniently from config.json: the harness owns that file's shape,
// so every field is looked up under the names it may have (top level first, then `options`) and may be missing.
import { basename, dirname } from 'node:path';
import { isPlainObject } from '../checkers/schema.ts';

export interface RunMeta {
  /** "sessions-2pc/2026-01-01T00-00-00-000Z": the last two parts of the run directory. */
  name: string;
  workload: string;
  protocol: string;
  nemeses: string[];
  seed: string;
  /** The one-line command that reproduces the run. */
  command: string;
  /** When the run started (ISO text), if known. */
  startedAt: string;
}

function lookup(config: Record<string, unknown> | undefined, names: readonly string[]): unknown {
  if (!config) return undefined;
  const scopes = [config, config.options, config.opts].filter(isPlainObject);
  for (const scope of scopes) {
    for (const name of names) if (scope[name] !== undefined && scope[name] !== null) return scope[name];
  }
  return undefined;
}

function text(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.every((v) => typeof v === 'string') ? value.join(' ') : JSON.stringify(value);
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function list(value: unknown): string[] {
  if (typeof value === 'string')
    return value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  if (Array.isArray(value)) return value.map((v) => (isPlainObject(v) ? text(v.name ?? v.kind ?? v.f) : text(v)));
  return [];
}

/** "sessions-2pc/2026-...": the run's test and timestamp directories. */
export function runName(dir: string): string {
  return `${basename(dirname(dir))}/${basename(dir)}`;
}

/** The directory name is a timestamp with dashes for colons ("2026-01-01T00-00-00-000Z"): read it back. */
function timestampOf(dir: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})(?:-(\d{3}))?Z?$/.exec(basename(dir));
  if (!m) return '';
  return `${m[1]}T${m[2]}:${m[3]}:${m[4]}.${m[5] ?? '000'}Z`;
}

export function runMeta(dir: string, config: Record<string, unknown> | undefined): RunMeta {
  const nemeses = list(lookup(config, ['nemeses', 'nemesis', 'faults']));
  const command = text(lookup(config, ['reproduce', 'repro', 'command', 'commandLine', 'argv']));
  return {
    name: runName(dir),
    workload: text(lookup(config, ['workload'])),
    protocol: text(lookup(config, ['protocol'])),
    nemeses: [...new Set(nemeses.filter(Boolean))],
    seed: text(lookup(config, ['seed'])),
    command: command || `rig repro ${dir}`,
    startedAt: text(lookup(config, ['startedAt', 'started', 'start', 'timestamp'])) || timestampOf(dir),
  };
}
