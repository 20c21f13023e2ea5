import { Command } from 'commander';
import { checkDb, cleanupDb } from '../../model/db-maintenance.js';
import { DebstashError } from '../../errors/debstash-error.js';
import { intervalMs } from '../../config/parse-interval.js';
import { emit, result } from '../output.js';
import { withContext } from '../with-context.js';
import { plural } from '../../model/human-units.js';

export function dbCommand(): Command {
  const db = new Command('db').description('consistency of metadata and pool');
  db.command('check')
    .description('find referenced files missing from the pool, and unreferenced ones')
    .action(async (_o: unknown, cmd: Command) =>
      withContext(cmd, async (ctx, opts) => {
        const r = { store: `${ctx.store.kind} ${ctx.store.location}`, ...(await checkDb(ctx)) };
        result(opts, [`store: ${r.store}`, `${plural(r.referenced, 'file')} referenced, ${r.missing.length} missing, ${r.unreferenced.length} unreferenced (removed by "db cleanup")`, ...r.missing.map((h) => `  missing ${h}`)], r);
        if (r.missing.length > 0) process.exitCode = 1;
      }),
    );
  db.command('cleanup')
    .description('delete pool files nothing refers to')
    .option('--min-age <interval>', 'keep unreferenced files stored more recently than this (an update may be about to use them), e.g. 0, 30m, 1h', '1h')
    .action(async (o: { minAge: string }, cmd: Command) =>
      withContext(cmd, async (ctx, opts) => {
        const minAgeMs = intervalMs(o.minAge);
        if (minAgeMs === undefined) throw new DebstashError('DEBSTASH_E_USAGE', `--min-age ${JSON.stringify(o.minAge)}: expected 0 or a number with s, m or h, e.g. 1h`);
        const r = await cleanupDb(ctx, { minAgeMs });
        emit(opts, `deleted ${r.deleted} unreferenced files${r.keptRecent > 0 ? `, kept ${r.keptRecent} stored within --min-age ${o.minAge}` : ''}`, r);
      }),
    );
  db.command('migrate')
    .description('copy the embedded SQLite store of the data dir into a PostgreSQL database (again: no change)')
    .requiredOption('--to <url>', 'postgres://USER:PASSWORD@HOST:PORT/DATABASE, empty or filled by an earlier migrate of this store')
    .action(async (o: { to: string }, cmd: Command) =>
      withContext(cmd, async (ctx, opts) => {
        if (ctx.store.kind !== 'sqlite') {
          throw new DebstashError('DEBSTASH_E_USAGE', `db migrate copies the embedded store of the data dir, but this one is ${ctx.store.kind} ${ctx.store.location}: unset DEBSTASH_DATABASE_URL (and database: of debstash.yaml)`);
        }
        const { openDatabase } = await import('../../store/open-store.js');
        const { copyStore } = await import('../../store/copy-store.js');
        const target = await openDatabase(o.to, '--to');
        try {
          const r = await copyStore(ctx.store, target);
          const what = `${plural(r.mirrors, 'mirror')}, ${plural(r.repos, 'repo')}, ${plural(r.snapshots, 'snapshot')}, ${plural(r.publishes, 'publish', 'publishes')}, ${plural(r.tokens, 'token')}`;
          emit(opts, r.copied ? `copied ${what} into ${target.location} (contents digest ${r.digest})` : `${target.location} holds this store already (${what}): nothing to do`, r);
        } finally {
          await target.close();
        }
      }),
    );
  return db;
}
