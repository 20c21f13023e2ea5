import { join } from 'node:path';
import { parseDatabaseUrl } from './database-url.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

/** The environment variable naming the database; it wins over debstash.yaml's `database:`. */
export const DATABASE_URL_ENV = 'DEBSTASH_DATABASE_URL';

/**
 * Opens the metadata store: DEBSTASH_DATABASE_URL, else `database:` of debstash.yaml, else
 * the embedded SQLite file of the data dir. The PostgreSQL backend (and pg) is loaded only
 * when a URL names it, so the embedded start pays nothing for it.
 */
export async function openStore(opts: { readonly dataDir: string; readonly database?: string | undefined; readonly env?: NodeJS.ProcessEnv }): Promise<Store> {
  const env = opts.env ?? process.env;
  const fromEnv = env[DATABASE_URL_ENV];
  const given = fromEnv !== undefined && fromEnv !== '' ? { url: fromEnv, from: DATABASE_URL_ENV } : opts.database !== undefined && opts.database !== '' ? { url: opts.database, from: 'database: in debstash.yaml' } : undefined;
  if (given === undefined) {
    return SqliteStore.open(join(opts.dataDir, 'debstash.sqlite'));
  }
  return openDatabase(given.url, given.from);
}

/** Opens the PostgreSQL database at `url` (the target of `db migrate`); `from` names where the URL came from. */
export async function openDatabase(url: string, from: string): Promise<Store> {
  const parsed = parseDatabaseUrl(url, from);
  const { PostgresStore } = await import('./postgres/postgres-store.js');
  return PostgresStore.open(parsed);
}
