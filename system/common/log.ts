// Services log one JSON object per line to stdout, which the harness writes to logs/<process>.log.
// Lines with an `obs` field are observations: evidence the checkers read after a run (leadership changes,
// votes, decisions, deadlocks). stdout to a file is synchronous in Node, so a line written survives a SIGKILL.

import { readFileSync } from 'node:fs';

export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  log(level: Level, msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** Records an observation of kind `obs` (always written, whatever the level). */
  observe(obs: string, record: Record<string, unknown>): void;
}

const order: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export function createLogger(
  service: string,
  node: string,
  now: () => number,
  minLevel: Level = 'info',
  write: (line: string) => void = (line) => process.stdout.write(line),
): Logger {
  const emit = (record: Record<string, unknown>) => write(`${JSON.stringify(record)}\n`);
  const logger: Logger = {
    log(level, msg, fields) {
      if (order[level] < order[minLevel]) return;
      emit({ t: now(), level, service, node, msg, ...fields });
    },
    info: (msg, fields) => logger.log('info', msg, fields),
    warn: (msg, fields) => logger.log('warn', msg, fields),
    error: (msg, fields) => logger.log('error', msg, fields),
    observe(obs, record) {
      emit({ t: now(), obs, service, node, ...record });
    },
  };
  return logger;
}

/** One observation line as `observe` wrote it: `t` the writer's wall clock (ms), `obs` its kind, then its fields. */
export type ObservationLine = Record<string, unknown> & { t: number; obs: string };

/**
 * The observation lines of one process's log file, in order (none if the file does not exist). A line cut short by a
 * SIGKILL is skipped. Read a file once and dispatch its lines by `obs`: logs of long runs are large.
 */
export function readObservationLines(path: string): ObservationLine[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const out: ObservationLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes('"obs":')) continue;
    try {
      const record = JSON.parse(line) as Record<string, unknown>;
      if (typeof record.obs === 'string' && typeof record.t === 'number') out.push(record as ObservationLine);
    } catch {
      // a line cut by a SIGKILL
    }
  }
  return out;
}
