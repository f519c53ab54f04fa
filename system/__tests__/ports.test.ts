// Proves that the system's code reads time, sets timers and draws randomness only through its ports (issue 23), so
// the same code can run on virtual time with seeded randomness: it reads every non-test source file under system/
// and fails, naming file and line, on any direct use of Node's timers, clocks or random sources. Allowed: the real
// Clock and Random themselves, and the real network and storage adapters a simulation replaces whole.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const systemDir = fileURLToPath(new URL('..', import.meta.url));

/** Files that may use the real thing, and why. */
const allowed: Record<string, string> = {
  'common/clock.ts': 'the real Clock (systemClock)',
  'common/random.ts': 'the real Random (cryptoRandom)',
  'common/peer.ts': 'real adapter: the network behind Peer',
  'common/channel.ts': 'real adapter: frames under Peer and the server',
  'common/redis.ts': 'real adapter: Redis behind the stores',
  'common/pg.ts': 'real adapter: PostgreSQL behind the stores',
};

const timerNames = 'setTimeout|setInterval|setImmediate|clearTimeout|clearInterval|clearImmediate';
const forbidden: Array<[RegExp, string]> = [
  [new RegExp(`(?<![\\w$.])(?:${timerNames})\\s*\\(`), 'a timer'],
  [new RegExp(`\\b(?:globalThis|global)\\s*\\.\\s*(?:${timerNames})\\b`), 'a timer'],
  [/\bfrom\s+['"](?:node:)?timers(?:\/promises)?['"]/, 'a timer'],
  [/\bDate\s*\.\s*now\b/, 'the time'],
  [/\bperformance\s*\.\s*now\b/, 'the time'],
  [/\bprocess\s*\.\s*hrtime\b/, 'the time'],
  [/\bnew\s+Date\s*\(\s*\)/, 'the time'],
  [/(?<![\w$.]|new\s)Date\s*\(\s*\)/, 'the time'],
  [/\bMath\s*\.\s*random\b/, 'randomness'],
  [/(?<![\w$])(?:randomUUID|randomBytes|randomInt|getRandomValues)\b/, 'randomness'],
];

/** The code of a line without its comment (a line comment, or a line inside a block comment's body). */
function code(line: string): string {
  const t = line.trimStart();
  if (t.startsWith('//') || t.startsWith('*') || t.startsWith('/*')) return '';
  return line.replace(/\s\/\/\s.*$/, '');
}

/** Every direct use in `text`, as `file:line: what (the code)`. */
function directUses(file: string, text: string): string[] {
  const found: string[] = [];
  text.split('\n').forEach((line, i) => {
    const c = code(line);
    for (const [pattern, what] of forbidden) {
      if (!pattern.test(c)) continue;
      found.push(`system/${file}:${i + 1}: ${what} read directly: ${line.trim()}`);
      break;
    }
  });
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === '__tests__' || e.name === 'node_modules' ? [] : sourceFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('ports: time and randomness', () => {
  it('no system code outside the real Clock, Random and adapters uses timers, clocks or random sources', () => {
    const files = sourceFiles(systemDir).map((p) => relative(systemDir, p).split('\\').join('/'));
    expect(files.length).toBeGreaterThan(50);
    const found = files
      .filter((f) => !(f in allowed))
      .flatMap((f) => directUses(f, readFileSync(join(systemDir, f), 'utf8')));
    const hint =
      'use the ports instead: time and timers through the injected Clock (clock.wallMs, monotonicMs, setTimeout, ' +
      'setInterval, sleep, yieldNow; system/common/clock.ts), ids and nonces through the injected Random ' +
      '(random.uuid(); system/common/random.ts)';
    expect(found.join('\n'), hint).toBe('');
  });

  it('the check itself: flags direct uses, not the ports, comments, or dates made from a value', () => {
    const flagged = [
      'setTimeout(run, 5);',
      'const t = setInterval(() => tick(), 10);',
      'await new Promise((r) => setImmediate(r));',
      'clearTimeout(t);',
      'globalThis.setTimeout(run, 1);',
      "import { setTimeout as wait } from 'node:timers/promises';",
      'const now = Date.now();',
      'const t0 = performance.now();',
      'const d = new Date();',
      "const id = 'txn-' + randomUUID();",
      "import { randomBytes } from 'node:crypto';",
      'const nonce = crypto.randomUUID();',
      'if (Math.random() < p) abort();',
    ];
    for (const line of flagged) expect(directUses('x.ts', line), line).toHaveLength(1);
    const clean = [
      'this.clock.setTimeout(run, 5);',
      'this.timer = this.d.clock.setInterval(() => void this.pass(), ms);',
      'await clock.yieldNow();',
      'const ms = clock.monotonicMs();',
      'const at = new Date(row.created_at).getTime();',
      "const id = 'txn-' + this.d.random.uuid();",
      '// a lone call waits; setImmediate() here cost 0.2 ms',
      '   * Date.now() is never read here',
    ];
    for (const line of clean) expect(directUses('x.ts', line), line).toEqual([]);
  });
});
