import { join } from 'node:path';
import type { Command } from 'commander';
import { DebstashError } from '../../errors/debstash-error.js';
import { formatBytes, plural } from '../../model/human-units.js';
import type { Context } from '../../model/context.js';
import type { PoolCopyResult } from '../../model/copy-pool.js';
import { FsPool } from '../../pool/fs-pool.js';
import type { Pool } from '../../pool/pool.js';
import type { CopyResult } from '../../store/copy-store.js';
import type { Store } from '../../store/store.js';
import { longJob } from '../long-job.js';
import { emit, type GlobalOptions } from '../output.js';
import { parseConcurrency } from '../parse-concurrency.js';
import { withContext } from '../with-context.js';

/** Pool files copied at once by default: the S3 pool bounds its own uploads at 16. */
const DEFAULT_CONCURRENCY = 8;

interface MigrateOptions {
  readonly to?: string;
  readonly storage?: string;
  readonly concurrency?: string;
}

/** Refuses a source that is not the embedded one it copies: the copy would go nowhere new. */
function checkSources(ctx: Context, o: MigrateOptions): void {
  if (o.to !== undefined && ctx.store.kind !== 'sqlite') {
    throw new DebstashError('DEBSTASH_E_USAGE', `db migrate --to copies the embedded store of the data dir, but this one is ${ctx.store.kind} ${ctx.store.location}: unset DEBSTASH_DATABASE_URL (and database: of debstash.yaml)`);
  }
  if (o.storage !== undefined && !(ctx.pool instanceof FsPool)) {
    throw new DebstashError('DEBSTASH_E_USAGE', `db migrate --storage copies the local pool of the data dir, but this one is ${ctx.pool.describe?.() ?? 'not local'}: unset DEBSTASH_STORAGE_URL (and storage: of debstash.yaml)`);
  }
}

const poolLine = (r: PoolCopyResult, where: string): string =>
  `pool: copied ${plural(r.copied, 'file')} (${formatBytes(r.bytesCopied)}) into ${where}, ${r.skipped} of ${r.files} there already${r.replaced > 0 ? `, ${r.replaced} of the wrong size replaced` : ''}`;

const storeLine = (r: CopyResult, where: string): string => {
  const what = `${plural(r.mirrors, 'mirror')}, ${plural(r.repos, 'repo')}, ${plural(r.snapshots, 'snapshot')}, ${plural(r.publishes, 'publish', 'publishes')}, ${plural(r.tokens, 'token')}, ${plural(r.keys, 'signing key')}`;
  return r.copied ? `copied ${what} into ${where} (contents digest ${r.digest})` : `${where} holds this store already (${what}): nothing to do`;
};

/** What the user sets afterwards: the backends stay unused until every process names them. */
function nextSteps(store: Store | undefined, storage: string | undefined): string[] {
  const vars = [
    ...(store !== undefined ? [`  DEBSTASH_DATABASE_URL=${store.location}   (with the password you gave; or database: in debstash.yaml)`] : []),
    ...(storage !== undefined ? [`  DEBSTASH_STORAGE_URL=${storage}   (or storage: in debstash.yaml; AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY as for this run)`] : []),
  ];
  return ['next: stop up/serve on this data dir, then start every debstash process with', ...vars];
}

/**
 * `db migrate`: the embedded store into PostgreSQL (--to) and the local pool into a bucket
 * (--storage), either or both. Both targets are opened first, so a wrong URL, a dead endpoint
 * or a missing bucket fails before anything is copied. The pool goes first: a store that
 * names files is never in place before the files are.
 */
export function addMigrateCommand(db: Command): void {
  db.command('migrate')
    .description('copy the embedded store into PostgreSQL (--to) and/or the local pool into S3 (--storage); resumable, run again: copies nothing')
    .option('--to <url>', 'postgres://USER:PASSWORD@HOST:PORT/DATABASE, empty or filled by an earlier migrate of this store')
    .option('--storage <url>', 's3://BUCKET/PREFIX (?endpoint=&region=&path_style=1, or the AWS variables): copy DATA_DIR/pool into it; objects already there are skipped')
    .option('--concurrency <n>', `pool files copied at once (default ${DEFAULT_CONCURRENCY})`)
    .action(async (o: MigrateOptions, cmd: Command) => {
      if (o.to === undefined && o.storage === undefined) throw new DebstashError('DEBSTASH_E_USAGE', 'db migrate needs --to postgres://... and/or --storage s3://...');
      const concurrency = parseConcurrency(o.concurrency) ?? DEFAULT_CONCURRENCY;
      if (o.concurrency !== undefined && o.storage === undefined) throw new DebstashError('DEBSTASH_E_USAGE', '--concurrency is for --storage: the store is copied in one transaction');
      await withContext(cmd, async (ctx, opts) => migrate(ctx, opts, o, concurrency));
    });
}

/**
 * With S3 storage the published trees are the bucket's (every replica serves dists/ from it), so
 * each publish not yet there is published into it from its own source, as its next generation
 * would be (recorded in the data dir's store, which is then copied). The working copy is a
 * directory of its own: the data dir's public/ stays as it was. A publish whose InRelease is in
 * the bucket is left alone, so a second migrate publishes nothing.
 */
async function publishIntoBucket(ctx: Context, pool: Pool): Promise<string[]> {
  const [{ updatePublish }, { servesInRelease }, { resolvePassphrase }] = await Promise.all([
    import('../../model/publish-ops.js'),
    import('../../model/served-release.js'),
    import('../../keys/passphrase.js'),
  ]);
  const target: Context = { ...ctx, pool, publicDir: join(ctx.dataDir, 'cache', 'migrate-public') };
  const passphrase = await resolvePassphrase({});
  const done: string[] = [];
  for (const p of await ctx.store.listPublishes()) {
    if (await servesInRelease(target, p.prefix, p.dist)) continue;
    await updatePublish(target, p.dist, { prefix: p.prefix, ...(passphrase !== undefined ? { passphrase } : {}) });
    done.push(`${p.prefix || '.'}/${p.dist}`);
  }
  return done;
}

async function migrate(ctx: Context, opts: GlobalOptions, o: MigrateOptions, concurrency: number): Promise<void> {
  checkSources(ctx, o);
  let pool: Pool | undefined;
  let store: Store | undefined;
  try {
    if (o.storage !== undefined) {
      const { openStorage } = await import('../../pool/open-pool.js');
      pool = await openStorage(o.storage);
    }
    if (o.to !== undefined) {
      const { openDatabase } = await import('../../store/open-store.js');
      store = await openDatabase(o.to, '--to');
    }
    const lines: string[] = [];
    let poolResult: PoolCopyResult | undefined;
    let storeResult: CopyResult | undefined;
    if (pool !== undefined) {
      const { copyPool } = await import('../../model/copy-pool.js');
      const target = pool;
      poolResult = await longJob(opts.quiet, (io) => copyPool(ctx.pool, target, { concurrency, ...io }));
      lines.push(poolLine(poolResult, target.describe?.() ?? 'the bucket'));
    }
    // Before the store is copied: the publish records and pool view rows the bucket's
    // generation writes go with it, and a second migrate finds both sides equal.
    let published: string[] | undefined;
    if (pool !== undefined) {
      published = await publishIntoBucket(ctx, pool);
      lines.push(`published trees: ${published.length === 0 ? 'every publish is in the bucket already' : `${published.join(', ')} published into the bucket`}`);
    }
    if (store !== undefined) {
      const { copyStore } = await import('../../store/copy-store.js');
      storeResult = await copyStore(ctx.store, store);
      lines.push(storeLine(storeResult, store.location));
    }
    emit(opts, [...lines, ...nextSteps(store, o.storage)], {
      ...(storeResult !== undefined ? storeResult : {}),
      ...(poolResult !== undefined ? { pool: poolResult } : {}),
      ...(published !== undefined ? { published } : {}),
      next: { ...(store !== undefined ? { DEBSTASH_DATABASE_URL: store.location } : {}), ...(o.storage !== undefined ? { DEBSTASH_STORAGE_URL: o.storage } : {}) },
    });
  } finally {
    pool?.close?.();
    await store?.close();
  }
}
