// Database administration shared by every provider: create a run's databases, drop them afterwards.
import postgres from 'postgres';
import { type PostgresEndpoint, postgresUrl } from './types.ts';

const identifier = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertIdentifier(name: string): string {
  if (!identifier.test(name)) {
    throw new Error(`"${name}" is not a usable database name: use lower-case letters, digits and _ (at most 63)`);
  }
  return name;
}

function admin(pg: PostgresEndpoint, database = 'postgres') {
  return postgres(postgresUrl(pg, database), { max: 1, onnotice: () => {}, connect_timeout: 10 });
}

/** Drops (rolling back its prepared transactions first) and creates an empty database. */
export async function recreateDatabase(pg: PostgresEndpoint, name: string): Promise<void> {
  assertIdentifier(name);
  await dropDatabase(pg, name);
  const sql = admin(pg);
  try {
    await sql.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Drops a database; prepared transactions would block the drop, so they are rolled back first. */
export async function dropDatabase(pg: PostgresEndpoint, name: string): Promise<void> {
  assertIdentifier(name);
  const sql = admin(pg);
  try {
    const exists = await sql`SELECT 1 FROM pg_database WHERE datname = ${name}`;
    if (exists.length === 0) return;
    const prepared = await sql`SELECT gid FROM pg_prepared_xacts WHERE database = ${name}`;
    if (prepared.length > 0) {
      const inDb = admin(pg, name);
      try {
        for (const row of prepared) await inDb.unsafe(`ROLLBACK PREPARED '${String(row.gid).replaceAll("'", "''")}'`);
      } finally {
        await inDb.end({ timeout: 5 });
      }
    }
    await sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

export async function postgresVersion(pg: PostgresEndpoint): Promise<string> {
  const sql = admin(pg);
  try {
    const [row] = await sql`SHOW server_version`;
    return String(row?.server_version);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function onDatabase(pg: PostgresEndpoint, name: string, statement: string): Promise<void> {
  const sql = admin(pg, assertIdentifier(name));
  try {
    await sql.unsafe(statement);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/**
 * VACUUM (ANALYZE) every table of each database, then a CHECKPOINT, which writes the pages the vacuums dirtied
 * now rather than while whatever comes next runs.
 */
export async function vacuumDatabases(pg: PostgresEndpoint, names: readonly string[]): Promise<void> {
  for (const name of names) await onDatabase(pg, name, 'VACUUM (ANALYZE)');
  await onDatabase(pg, 'postgres', 'CHECKPOINT');
}
