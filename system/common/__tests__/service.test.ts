// A service lives on past a connection error that no one awaited (a client library's own promise), logging it, and
// still dies of any other unhandled rejection. Each case runs in a process of its own.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/unhandled.ts', import.meta.url));
const run = (kind: string) =>
  spawnSync(process.execPath, ['--import', 'tsx', fixture, kind], { encoding: 'utf8', timeout: 30_000 });

describe('unhandled rejections in a service', () => {
  it('logs a connection error and lives on', () => {
    const r = run('connection');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('"msg":"unhandled connection error","code":"ECONNREFUSED"');
    expect(r.stdout).toContain('lived on');
  });

  it('dies of any other', () => {
    const r = run('bug');
    expect(r.status).not.toBe(0);
    expect(r.stdout).not.toContain('lived on');
    expect(r.stderr).toContain('a bug');
  });
});
