// SQL lives in files beside the service that owns it: numbered migrations (`0001_schema.sql`) and named statements
// (`reserve_cell.sql`). They are all read at start, so a missing file fails the start rather than a request.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type postgres from 'postgres';

export type Param = postgres.ParameterOrJSON<never>;
export type DbRow = Record<string, unknown>;
/**
 * What runs a statement: a postgres.js connection or transaction, or a model of one that answers our named
 * statements (harness/sim/models/), which is why it is stated structurally rather than as postgres.js's own type.
 */
export interface Queryable {
  unsafe(query: string, parameters?: Param[], queryOptions?: { prepare?: boolean }): PromiseLike<unknown>;
}

const migrationName = /^\d{4}_[a-z0-9_]+\.sql$/;

export class Statements {
  private constructor(
    /** Prefix for migration names in schema_migrations, e.g. `participant`. */
    readonly owner: string,
    private readonly named: ReadonlyMap<string, string>,
    readonly migrations: ReadonlyArray<{ name: string; text: string }>,
  ) {}

  /** Reads every `.sql` file in `dir` (a file URL, e.g. `new URL('./sql/', import.meta.url)`). */
  static load(owner: string, dir: URL): Statements {
    const path = fileURLToPath(dir);
    const files = readdirSync(path)
      .filter((f) => f.endsWith('.sql'))
      .sort();
    const named = new Map<string, string>();
    const migrations: Array<{ name: string; text: string }> = [];
    for (const file of files) {
      const text = readFileSync(join(path, file), 'utf8');
      if (migrationName.test(file)) migrations.push({ name: `${owner}/${file}`, text });
      else named.set(file.slice(0, -'.sql'.length), text);
    }
    return new Statements(owner, named, migrations);
  }

  text(name: string): string {
    const text = this.named.get(name);
    if (text === undefined) throw new Error(`no statement ${this.owner}/sql/${name}.sql`);
    return text;
  }

  /** Runs a named statement with positional parameters ($1, $2 ...), as a prepared statement. */
  async run(sql: Queryable, name: string, params: Param[] = []): Promise<DbRow[]> {
    return (await sql.unsafe(this.text(name), params, { prepare: true })) as DbRow[];
  }
}

/** Applies every migration not yet applied, in order, in one transaction under an advisory lock. */
export async function migrate(sql: postgres.Sql, sets: readonly Statements[]): Promise<void> {
  await sql.begin(async (tx) => {
    // Two processes starting on one database at once apply the migrations one after the other.
    await tx.unsafe(`SELECT pg_advisory_xact_lock(hashtext('session-rig-migrations'))`);
    await tx.unsafe(
      'CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const applied = new Set((await tx.unsafe('SELECT name FROM schema_migrations')).map((r) => String(r.name)));
    for (const set of sets) {
      for (const m of set.migrations) {
        if (applied.has(m.name)) continue;
        await tx.unsafe(m.text);
        await tx.unsafe('INSERT INTO schema_migrations (name) VALUES ($1)', [m.name]);
      }
    }
  });
}

/** A bigint/numeric column (returned as a string) as a number; throws if it is not a safe integer. */
export function toSafeInt(value: unknown, what: string): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`${what}: ${String(value)} is not a safe integer`);
  return n;
}
