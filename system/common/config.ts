// Reading a service's configuration from the environment. A bad value fails at start with the variable's name,
// what was wrong and what to write instead.

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export class Env {
  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  string(name: string, fallback?: string): string {
    const v = this.env[name];
    if (v !== undefined && v !== '') return v;
    if (fallback !== undefined) return fallback;
    throw new ConfigError(`${name} is required`);
  }

  optional(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v === '' ? undefined : v;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const v = this.env[name];
    if (v === undefined || v === '') return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new ConfigError(`${name}="${v}": must be a whole number from ${min} to ${max}`);
    }
    return n;
  }

  /** One of `choices`; the first is the default. */
  oneOf<const T extends string>(name: string, choices: readonly [T, ...T[]]): T {
    const v = this.env[name];
    if (v === undefined || v === '') return choices[0];
    if (!(choices as readonly string[]).includes(v)) {
      throw new ConfigError(`${name}="${v}": must be one of ${choices.join(', ')}`);
    }
    return v as T;
  }

  url(name: string, fallback?: string): string {
    const v = this.string(name, fallback);
    try {
      new URL(v);
    } catch {
      throw new ConfigError(`${name}="${v}" is not a URL`);
    }
    return v;
  }

  /** `name=url,name=url` pairs, e.g. the session managers a gateway can reach. */
  urlMap(name: string): Map<string, string> {
    const map = new Map<string, string>();
    for (const part of this.string(name).split(',').filter(Boolean)) {
      const eq = part.indexOf('=');
      const key = part.slice(0, eq).trim();
      const url = part.slice(eq + 1).trim();
      if (eq <= 0) throw new ConfigError(`${name}: "${part}" should be name=url`);
      try {
        new URL(url);
      } catch {
        throw new ConfigError(`${name}: "${url}" (for ${key}) is not a URL`);
      }
      map.set(key, url);
    }
    return map;
  }
}
