import pg from 'pg';
import { DebstashError } from '../../errors/debstash-error.js';
import { pgStoreError } from './pg-errors.js';

/** Parameters as pg takes them. */
export type SqlValue = string | number | boolean | null | readonly string[] | readonly number[];

/**
 * Where a PostgreSQL store's queries go: one connection inside a transaction, or the pool.
 * Readers are written against this, so the same code reads inside a write transaction (its
 * own uncommitted state) and outside one.
 */
export interface Sql {
  rows<R>(text: string, values?: readonly SqlValue[]): Promise<R[]>;
  /** Rows as arrays: no object per row for reads of every package of a large set. */
  arrays<R extends unknown[]>(text: string, values?: readonly SqlValue[]): Promise<R[]>;
  /** How many rows the statement changed. */
  run(text: string, values?: readonly SqlValue[]): Promise<number>;
  /**
   * Runs `fn` on one state of the database: inside a transaction that state is the
   * transaction's; from the pool, a REPEATABLE READ READ ONLY transaction, so two queries of
   * one answer (packages, then their files) see the same commit.
   */
  consistent<T>(fn: (sql: Sql) => Promise<T>): Promise<T>;
}

type Queryable = pg.Pool | pg.PoolClient;

/** Not an answer of the server (an SQLSTATE) nor debstash's own refusal: the connection itself failed. */
export const isConnectionFault = (err: unknown): boolean =>
  !(err instanceof DebstashError) && !(err instanceof Error && 'code' in err && typeof err.code === 'string' && /^[0-9A-Z]{5}$/.test(err.code));

async function query(on: Queryable, text: string, values: readonly SqlValue[] | undefined, arrays: boolean): Promise<pg.QueryResult> {
  return on.query({ text, values: values as unknown[] | undefined, ...(arrays ? { rowMode: 'array' } : {}) });
}

/** The connection of a transaction; errors reach the transaction, which maps them once. */
export class ClientSql implements Sql {
  constructor(private readonly client: pg.PoolClient) {}
  async rows<R>(text: string, values?: readonly SqlValue[]): Promise<R[]> {
    return (await query(this.client, text, values, false)).rows as R[];
  }
  async arrays<R extends unknown[]>(text: string, values?: readonly SqlValue[]): Promise<R[]> {
    return (await query(this.client, text, values, true)).rows as R[];
  }
  async run(text: string, values?: readonly SqlValue[]): Promise<number> {
    return (await query(this.client, text, values, false)).rowCount ?? 0;
  }
  consistent<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
    return fn(this);
  }
}

/** Reads outside a transaction: each statement on any connection of the pool. */
export class PoolSql implements Sql {
  constructor(
    private readonly pool: pg.Pool,
    private readonly where: string,
  ) {}
  async #on<T>(step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (err) {
      throw pgStoreError(err, 'reading the store failed', this.where);
    }
  }
  rows<R>(text: string, values?: readonly SqlValue[]): Promise<R[]> {
    return this.#on(async () => (await query(this.pool, text, values, false)).rows as R[]);
  }
  arrays<R extends unknown[]>(text: string, values?: readonly SqlValue[]): Promise<R[]> {
    return this.#on(async () => (await query(this.pool, text, values, true)).rows as R[]);
  }
  run(text: string, values?: readonly SqlValue[]): Promise<number> {
    return this.#on(async () => (await query(this.pool, text, values, false)).rowCount ?? 0);
  }
  consistent<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
    return this.#on(async () => {
      const client = await this.pool.connect();
      let broken: unknown;
      try {
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        const result = await fn(new ClientSql(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        broken = err;
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        // A connection that failed may be half-dead: the pool drops it instead of reusing it.
        client.release(broken !== undefined && isConnectionFault(broken));
      }
    });
  }
}
