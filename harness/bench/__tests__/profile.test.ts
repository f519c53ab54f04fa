// Proves the profile summary on a hand-made CPU profile: self time per function and per area (idle left out of
// the busy time), and each sample charged to the nearest function of ours on its stack.
import { describe, expect, it } from 'vitest';
import { areaOf, type CpuProfile, summarizeProcess } from '../profile.ts';

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });

// root -> handle (ours) -> query (postgres) -> writev (native); root -> (idle); root -> (garbage collector)
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 5, 6] },
    { id: 2, callFrame: frame('handle', 'file:///work/main/system/participant/store.ts'), children: [3] },
    {
      id: 3,
      callFrame: frame('query', 'file:///work/main/node_modules/postgres/cjs/src/connection.js', 40),
      children: [4],
    },
    { id: 4, callFrame: frame('writev') },
    { id: 5, callFrame: frame('(idle)') },
    { id: 6, callFrame: frame('(garbage collector)') },
  ],
  // Each sample stands for the delta that follows it.
  samples: [4, 4, 3, 2, 5, 6],
  timeDeltas: [0, 1000, 1000, 1000, 1000, 6000, 2000],
};

describe('profile summary', () => {
  it('names areas: our files by path, packages by name, Node modules, and VM states', () => {
    expect(areaOf('file:///work/main/system/common/peer.ts', 'call')).toBe('system/common/peer.ts');
    expect(areaOf('file:///x/node_modules/@scope/pkg/a.js', 'f')).toBe('@scope/pkg');
    expect(areaOf('node:internal/streams/writable', 'f')).toBe('node:internal/streams/writable');
    expect(areaOf('', '(program)')).toBe('(program)');
    expect(areaOf('', 'writev')).toBe('(native)');
  });

  it('adds self time per function and area, leaving idle out of the busy time', () => {
    const p = summarizeProcess('rm', [profile]);
    expect(p.sampledMs).toBe(12);
    expect(p.busyMs).toBe(6);
    expect(p.functions[0]).toEqual({ name: 'writev', selfMs: 2, pct: 33.3 });
    expect(p.functions.map((f) => f.name)).toContain('query postgres:41');
    expect(p.areas.find((a) => a.name === 'postgres')?.selfMs).toBe(1);
  });

  it('charges samples to the nearest function of ours, or to none', () => {
    const p = summarizeProcess('rm', [profile]);
    expect(p.ours[0]).toEqual({ name: 'handle system/participant/store.ts', selfMs: 4, pct: 66.7 });
    expect(p.ours[1]).toEqual({ name: '(not ours)', selfMs: 2, pct: 33.3 });
  });
});
