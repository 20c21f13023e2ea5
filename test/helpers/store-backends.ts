/**
 * Both store backends, for tests written once and run against each:
 *
 *   for (const backend of STORE_BACKENDS) {
 *     describe(backend.name, { skip: backend.skip }, () => {
 *       const stores = backend.fixture();   // before/after hooks registered here
 *       test('...', async () => { const store = await stores.open('a'); ... });
 *     });
 *   }
 *   after(stopStoreBackends);
 *
 * `open(key)` twice with one key gives two stores on the same data (what two processes on one
 * data dir or database have); another key, another empty store. SQLite: a file in a temp dir;
 * PostgreSQL: a database of one server this test process starts when first needed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { parseDatabaseUrl } from '../../src/store/database-url.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { postgresMissing, startPostgres, type PostgresServer } from './postgres-server.js';

export interface StoreFixture {
  open(key: string): Promise<Store>;
  /** Where `key`'s store lives: the SQLite file, or the database URL. */
  location(key: string): Promise<string>;
}

export interface StoreBackend {
  readonly name: 'sqlite' | 'postgres';
  /** Why this backend cannot run here; undefined when it can. */
  readonly skip: string | undefined;
  /** Registers before/after hooks in the current describe; stores opened are closed after it. */
  fixture(): StoreFixture;
}

let server: Promise<PostgresServer> | undefined;
let databases = 0;

/** The PostgreSQL server of this test process, started on first use. */
export function sharedPostgres(): Promise<PostgresServer> {
  return (server ??= startPostgres());
}

/** Stops the shared PostgreSQL server if one was started. */
export async function stopStoreBackends(): Promise<void> {
  const s = server;
  server = undefined;
  if (s !== undefined) await (await s).stop();
}

function fixtureOf(locate: (key: string) => Promise<string>, openAt: (where: string) => Promise<Store>, cleanup: () => Promise<void>): StoreFixture {
  const opened: Store[] = [];
  after(async () => {
    for (const s of opened.splice(0)) await s.close();
    await cleanup();
  });
  return {
    location: locate,
    async open(key: string): Promise<Store> {
      const store = await openAt(await locate(key));
      opened.push(store);
      return store;
    },
  };
}

const sqlite: StoreBackend = {
  name: 'sqlite',
  skip: undefined,
  fixture(): StoreFixture {
    let dir = '';
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'debstash-store-'));
    });
    return fixtureOf(
      async (key) => join(dir, key, 'debstash.sqlite'),
      async (file) => SqliteStore.open(file),
      () => rm(dir, { recursive: true, force: true }),
    );
  },
};

const postgres: StoreBackend = {
  name: 'postgres',
  skip: postgresMissing(),
  fixture(): StoreFixture {
    const urls = new Map<string, Promise<string>>();
    const prefix = `t${process.pid}_${++databases}`;
    return fixtureOf(
      (key) => {
        let url = urls.get(key);
        if (url === undefined) {
          url = sharedPostgres().then((s) => s.createDatabase(`${prefix}_${key}`));
          urls.set(key, url);
        }
        return url;
      },
      (url) => PostgresStore.open(parseDatabaseUrl(url, 'test')),
      async () => undefined,
    );
  },
};

export const STORE_BACKENDS: readonly StoreBackend[] = [sqlite, postgres];
