import { randomInt } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A loopback port that was free a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not read the port the OS picked'));
      });
    });
  });
}

/** True when nothing accepts or holds a listener on 127.0.0.1:port. */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** The lowest port the OS hands out for `listen(0)` (Linux's ephemeral range), or 32768 where unknown. */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 2000 ? low : 32768;
  } catch {
    return 32768;
  }
}

/** Where ports handed out by `stablePort` are claimed, one file per port, across every process of the machine. */
const claims = join(tmpdir(), 'session-rig-ports');
/** A claim holds this long: longer than any gap between choosing a port and binding it. */
export const claimMs = 60_000;

/**
 * Claims `port` for `claimMs` for this process; false when some process (this one included) claimed it within that
 * time. Where claims cannot be written, every claim succeeds and the free check alone decides.
 */
export function claimPort(port: number): boolean {
  const file = join(claims, String(port));
  try {
    mkdirSync(claims, { recursive: true });
    writeFileSync(file, String(process.pid), { flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return true;
  }
  try {
    if (Date.now() - statSync(file).mtimeMs < claimMs) return false;
    writeFileSync(file, String(process.pid)); // an old claim: take it over
  } catch {
    // gone meanwhile, or not writable: the free check decides
  }
  return true;
}

/**
 * A free loopback port for a server we start later and must keep across restarts. It comes from below the OS's
 * ephemeral range: a port from `freePort()` is released before our server binds it, and in that gap any
 * `listen(0)` (a fault proxy, a client socket) may be handed the very same port. It is claimed for a minute
 * (`claimPort`): test files run in several processes at once, and two of them picking the same free port before
 * either bound it made a service fail to start with EADDRINUSE.
 */
export async function stablePort(): Promise<number> {
  const high = ephemeralLow() - 1;
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = randomInt(10_000, high);
    if (claimPort(port) && (await portIsFree(port))) return port;
  }
  return freePort();
}
