// What a report and the index say about a run, from its config.json (absent for a bare history: then from the
// directory's name alone).
import { basename, dirname } from 'node:path';
import type { RunConfig } from '../format/config.ts';

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
  /** Which mode found what the run shows: real processes, or a simulation (with its trace hash). */
  mode: string;
}

/** "sessions-2pc/2026-...": the run's test and timestamp directories. */
export function runName(dir: string): string {
  return `${basename(dirname(dir))}/${basename(dir)}`;
}

/** The directory name is a timestamp with dashes for colons ("2026-01-01T00-00-00-000Z"): read it back. */
export function timestampOf(dir: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})(?:-(\d{3}))?Z?$/.exec(basename(dir));
  if (!m) return '';
  return `${m[1]}T${m[2]}:${m[3]}:${m[4]}.${m[5] ?? '000'}Z`;
}

export function runMeta(dir: string, config: RunConfig | undefined): RunMeta {
  const o = config?.options;
  return {
    name: runName(dir),
    workload: o?.workload ?? '',
    protocol: o?.protocol ?? '',
    nemeses: o ? [...new Set(o.nemesis.split(',').map((n) => n.trim()))].filter((n) => n !== '' && n !== 'none') : [],
    seed: config ? String(config.seed) : '',
    command: o?.command || `rig repro ${dir}`,
    startedAt: config?.startedAt ?? timestampOf(dir),
    mode:
      config?.mode === 'sim'
        ? `simulation${config.sim ? `, trace ${config.sim.traceHash}` : ''}`
        : config
          ? 'real processes'
          : '—',
  };
}
