// The run store: store/<test>/<timestamp>/, never overwriting an earlier run; store/latest points at the newest.
import { existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

export function newRunDir(store: string, test: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  let dir = resolve(store, test, stamp);
  for (let i = 2; existsSync(dir); i++) dir = resolve(store, test, `${stamp}-${i}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Points store/latest at `runDir` (a relative symlink, so the store can be moved). */
export function linkLatest(store: string, runDir: string): void {
  const link = join(resolve(store), 'latest');
  rmSync(link, { force: true });
  symlinkSync(relative(resolve(store), runDir), link);
}
