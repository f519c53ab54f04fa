// A port handed out by stablePort is claimed across processes for a while, so two test files starting services at
// once cannot both be handed it; an old claim is taken over.
import { utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { claimMs, claimPort, stablePort } from '../ports.ts';

describe('port claims', () => {
  it('gives a port once within the claim, again after it', () => {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    expect(claimPort(port)).toBe(true);
    expect(claimPort(port)).toBe(false);
    const old = (Date.now() - claimMs - 1000) / 1000;
    utimesSync(join(tmpdir(), 'session-rig-ports', String(port)), old, old);
    expect(claimPort(port)).toBe(true);
    expect(claimPort(port)).toBe(false);
  });

  it('hands out a claimed port, which is not claimable again', async () => {
    const port = await stablePort();
    expect(port).toBeGreaterThanOrEqual(10_000);
    expect(claimPort(port)).toBe(false);
  });
});
