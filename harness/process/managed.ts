// A child process with its output in a log file, a known way to stop it, and its log tail in every error.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { trackChild } from './lifecycle.ts';

export interface SpawnSpec {
  name: string;
  command: string;
  args: readonly string[];
  logPath: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  uid?: number;
  gid?: number;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logPath: string;
  readonly exited: Promise<ExitInfo>;
  private readonly child: ChildProcess;
  private exitInfo: ExitInfo | undefined;

  constructor(spec: SpawnSpec) {
    mkdirSync(dirname(spec.logPath), { recursive: true });
    const fd = openSync(spec.logPath, 'a');
    try {
      this.child = spawn(spec.command, [...spec.args], {
        cwd: spec.cwd,
        env: spec.env ?? process.env,
        stdio: ['ignore', fd, fd],
        // Own process group: a terminal's Ctrl-C reaches only the rig, which then stops children in order.
        detached: true,
        ...(spec.uid === undefined ? {} : { uid: spec.uid }),
        ...(spec.gid === undefined ? {} : { gid: spec.gid }),
      });
    } finally {
      closeSync(fd);
    }
    if (this.child.pid === undefined) {
      throw new Error(`could not start ${spec.name} (${spec.command}): is it installed and executable?`);
    }
    this.name = spec.name;
    this.pid = this.child.pid;
    this.logPath = spec.logPath;
    trackChild(this.child);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
    });
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  /** The last `lines` lines of the process's log, for error messages. */
  tail(lines = 20): string {
    try {
      const text = readFileSync(this.logPath, 'utf8').trimEnd();
      return text.split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** Sends a signal to the process (not its group). Returns false if it has already exited. */
  signal(sig: NodeJS.Signals): boolean {
    if (!this.running) return false;
    try {
      process.kill(this.pid, sig);
      return true;
    } catch {
      return false;
    }
  }

  /** Asks the process to stop with `sig`; after `timeoutMs` kills its whole process group. */
  async stop(sig: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<ExitInfo> {
    if (!this.running) return this.exitInfo!;
    this.signal(sig);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const result = await Promise.race([this.exited, timedOut]);
    clearTimeout(timer);
    if (result === 'timeout') this.killGroup();
    const info = await this.exited;
    this.killGroup(); // leftover children of the group (e.g. postgres backends) go too
    return info;
  }

  /** SIGKILL to the process and its group, at once. */
  killGroup(): void {
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // group already gone
    }
  }
}

/** Resolves when `probe` returns true; rejects with the process's log tail if it exits or the deadline passes. */
export async function waitUntilReady(
  proc: ManagedProcess,
  probe: () => Promise<boolean>,
  deadlineMs: number,
  what: string,
): Promise<void> {
  const start = Date.now();
  let delayMs = 20;
  while (Date.now() - start < deadlineMs) {
    if (!proc.running) {
      const info = await proc.exited;
      throw new Error(
        `${what} exited during start (code ${info.code}, signal ${info.signal}); last lines of ${proc.logPath}:\n${proc.tail()}`,
      );
    }
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, delayMs));
    delayMs = Math.min(delayMs * 2, 250);
  }
  throw new Error(
    `${what} did not become ready within ${deadlineMs} ms; last lines of ${proc.logPath}:\n${proc.tail()}`,
  );
}
