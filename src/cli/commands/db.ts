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
    .option('--verify', 'also read every referenced file and check its SHA-256 (slow: reads the whole pool)')
    .action(async (o: { verify?: boolean }, cmd: Command) =>
      withContext(cmd, async (ctx, opts) => {
        const r = await checkDb(ctx, { verify: o.verify === true });
        const storage = ctx.pool.describe?.() ?? 'unknown';
        const damaged = r.damaged ?? [];
        result(
          opts,
          [
            `storage: ${storage}`,
            `${plural(r.referenced, 'file')} referenced, ${r.missing.length} missing, ${r.damaged !== undefined ? `${damaged.length} damaged, ` : ''}${r.unreferenced.length} unreferenced (removed by "db cleanup")`,
            ...r.missing.map((h) => `  missing ${h}`),
            ...damaged.map((h) => `  damaged ${h} (its bytes hash to something else: DEBSTASH_E_STORAGE_INTEGRITY)`),
          ],
          { storage, ...r },
        );
        if (r.missing.length > 0 || damaged.length > 0) process.exitCode = 1;
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
  return db;
}
