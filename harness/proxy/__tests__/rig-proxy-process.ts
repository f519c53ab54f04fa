// Starts `rig proxy` as its own process, the way a user runs it, and hands back its URL and a way to stop it.
import { type ChildProcess, spawn } from 'node:child_process';
import { waitFor } from './net-helpers.ts';

export interface RigProxyProcess {
  url: string;
  child: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
  /** SIGTERM, then the exit code (SIGKILL if it has not exited within `deadlineMs`). */
  stop(deadlineMs?: number): Promise<number | null>;
}

export async function startRigProxy(args: string[] = ['--port', '0']): Promise<RigProxyProcess> {
  const child = spawn(process.execPath, ['bin/rig.js', 'proxy', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const collect = (d: Buffer) => {
    out += d.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const urlPattern = /at (http:\/\/\S+)/;
  try {
    await waitFor(() => urlPattern.test(out) || child.exitCode !== null, 'rig proxy to print its URL', 30_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  const match = urlPattern.exec(out);
  if (!match?.[1]) throw new Error(`rig proxy exited (code ${child.exitCode}) without serving:\n${out}`);
  return {
    url: match[1],
    child,
    output: () => out,
    async stop(deadlineMs = 10_000) {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), deadlineMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
