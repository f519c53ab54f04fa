// Inlines the page's scripts (reports/client/*.js, ES modules so `tsc -p reports/client` checks them) into one
// classic script: each module becomes a function returning its exports, and `import { a, b as c } from './x.js'`
// becomes a destructuring of x's exports. Only those two forms are supported; anything else is a build error, so a
// module the page needs can never be dropped silently.
import { readFileSync } from 'node:fs';

const IMPORT = /^import\s*\{([^}]*)\}\s*from\s*'\.\/([\w-]+)\.js';?[ \t]*$/gm;
const EXPORT = /^export\s+(?:async\s+)?(?:function\*?|const|let|class)\s+([\w$]+)/gm;
const LEFTOVER = /^\s*(?:import|export)\b/m;

interface Module {
  name: string;
  deps: string[];
  body: string;
}

function parse(dir: URL, name: string): Module {
  const source = readFileSync(new URL(`${name}.js`, dir), 'utf8');
  const deps: string[] = [];
  let body = source.replace(IMPORT, (_all, names: string, from: string) => {
    deps.push(from);
    const bindings = names
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((s) => s.replace(/\s+as\s+/, ': '));
    return `const { ${bindings.join(', ')} } = __modules['${from}'];`;
  });
  const exported: string[] = [];
  body = body.replace(EXPORT, (all, id: string) => {
    exported.push(id);
    return all.replace(/^export\s+/, '');
  });
  const leftover = LEFTOVER.exec(body.replace(/^export \{\};?$/m, ''));
  if (leftover) {
    const line = body.slice(0, leftover.index).split('\n').length;
    throw new Error(
      `reports/client/${name}.js:${line}: unsupported import/export form (use import { a } from './x.js')`,
    );
  }
  return { name, deps, body: `${body}\nreturn { ${exported.join(', ')} };` };
}

/** The entry module and everything it imports, dependencies first, as one script. */
export function bundle(dir: URL, entry: string): string {
  const done = new Map<string, Module>();
  const visiting = new Set<string>();
  const order: Module[] = [];
  const visit = (name: string) => {
    if (done.has(name)) return;
    if (visiting.has(name)) throw new Error(`reports/client: import cycle through ${name}.js`);
    visiting.add(name);
    const m = parse(dir, name);
    for (const d of m.deps) visit(d);
    visiting.delete(name);
    done.set(name, m);
    order.push(m);
  };
  visit(entry);
  const parts = order.map((m) => `__modules['${m.name}'] = (() => {\n${m.body}\n})();`);
  return `(() => {\n'use strict';\nconst __modules = {};\n${parts.join('\n')}\n})();\n`;
}
