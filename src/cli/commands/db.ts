import { Command } from 'commander';
import { checkDb, cleanupDb, type DbCheckResult } from '../../model/db-maintenance.js';
import { describeProblem } from '../../model/db-problem.js';
import { DebstashError } from '../../errors/debstash-error.js';
import { intervalMs } from '../../config/parse-interval.js';
import { emit, result } from '../output.js';
import { parseConcurrency } from '../parse-concurrency.js';
import { withContext } from '../with-context.js';
import { addMigrateCommand } from './db-migrate.js';
import { formatBytes, parseBytes, plural } from '../../model/human-units.js';

/**
 * A plain index name left at the previous generation (a publish killed between its switch and
 * relinking them) is reported but does not fail the check: apt reads by-hash names, which are
 * right, and the next publish of that dist relinks the plain ones. Anything else is damage.
 */
function failing(r: DbCheckResult): boolean {
  return r.problems.some((p) => p.kind !== 'published-stale');
}

function summary(r: DbCheckResult): string {
  const deferred = r.deferredAbsent > 0 ? `, ${r.deferredAbsent} on demand (fetched at first request)` : '';
  return `${plural(r.referenced, 'file')} referenced, ${r.missing.length} missing${deferred}, ${r.unreferenced.length} unreferenced (removed by "db cleanup"), ${plural(r.problems.length, 'problem')}`;
}

export function dbCommand(): Command {
  const db = new Command('db').description('consistency of metadata, pool and published trees');
  db.command('check')
    .description('find referenced files missing from the pool, unreferenced ones, and published files missing or of the wrong size; --deep re-hashes every byte')
    .option('--deep', 're-hash every pool file and every published index against the store and the Release (reads everything)')
    .option('--concurrency <n>', 'files read at once with --deep (default 8)')
    .action(async (o: { deep?: boolean; concurrency?: string }, cmd: Command) => {
      const concurrency = parseConcurrency(o.concurrency);
      if (concurrency !== undefined && o.deep !== true) throw new DebstashError('DEBSTASH_E_USAGE', '--concurrency is for --deep: the fast check only stats files');
      await withContext(cmd, async (ctx, opts) => {
        const store = `${ctx.store.kind} ${ctx.store.location}`;
        const storage = ctx.pool.describe?.() ?? 'unknown';
        if (o.deep === true) {
          const { deepCheckDb } = await import('../../model/deep-check.js');
          const r = { store, storage, ...(await deepCheckDb(ctx, concurrency !== undefined ? { concurrency } : {})) };
          result(opts, [`store: ${store}`, `storage: ${storage}`, `${summary(r)}; re-hashed ${plural(r.hashedFiles, 'file')}, ${formatBytes(r.hashedBytes)}`, ...r.problems.map((p) => `  ${describeProblem(p)}`)], r);
          if (failing(r)) process.exitCode = 1;
          return;
        }
        const r = { store, storage, ...(await checkDb(ctx)) };
        result(opts, [`store: ${store}`, `storage: ${storage}`, summary(r), ...r.problems.map((p) => `  ${describeProblem(p)}`)], r);
        if (failing(r)) process.exitCode = 1;
      });
    });
  db.command('cleanup')
    .description('delete pool files nothing refers to')
    .option('--min-age <interval>', 'keep unreferenced files stored more recently than this (an update may be about to use them), e.g. 0, 30m, 1h', '1h')
    .option('--dry-run', 'list what would be deleted and the bytes it would free; delete nothing')
    .option('--on-demand-max-age <interval>', 'also evict on-demand files fetched longer ago than this, e.g. 12h, 30d (the next request fetches them again)')
    .option('--on-demand-budget <size>', 'also evict the oldest on-demand files until the rest take at most this much, e.g. 20G')
    .action(async (o: { minAge: string; dryRun?: boolean; onDemandMaxAge?: string; onDemandBudget?: string }, cmd: Command) =>
      withContext(cmd, async (ctx, opts) => {
        const minAgeMs = intervalMs(o.minAge);
        if (minAgeMs === undefined) throw new DebstashError('DEBSTASH_E_USAGE', `--min-age ${JSON.stringify(o.minAge)}: expected 0 or a number with s, m, h or d, e.g. 1h`);
        const maxAgeMs = o.onDemandMaxAge === undefined ? undefined : intervalMs(o.onDemandMaxAge);
        if (o.onDemandMaxAge !== undefined && maxAgeMs === undefined) throw new DebstashError('DEBSTASH_E_USAGE', `--on-demand-max-age ${JSON.stringify(o.onDemandMaxAge)}: expected 0 or a number with s, m, h or d, e.g. 30d`);
        const budget = o.onDemandBudget === undefined ? undefined : parseBytes(o.onDemandBudget);
        if (o.onDemandBudget !== undefined && budget === undefined) throw new DebstashError('DEBSTASH_E_USAGE', `--on-demand-budget ${JSON.stringify(o.onDemandBudget)}: expected a size such as 500M, 20G or 1T`);
        const r = await cleanupDb(ctx, { minAgeMs, dryRun: o.dryRun === true, ...(maxAgeMs !== undefined ? { onDemandMaxAgeMs: maxAgeMs } : {}), ...(budget !== undefined ? { onDemandBudgetBytes: budget } : {}) });
        const kept = r.keptRecent > 0 ? `, kept ${r.keptRecent} stored within --min-age ${o.minAge}` : '';
        const evicted = maxAgeMs !== undefined || budget !== undefined ? [`${r.dryRun ? 'would evict' : 'evicted'} ${plural(r.evicted.length, 'on-demand file')}, ${formatBytes(r.evictedBytes)}`] : [];
        if (r.dryRun) {
          result(opts, [`would delete ${plural(r.deleted, 'unreferenced file')}, freeing ${formatBytes(r.bytes)} (${r.bytes} bytes)${kept}`, ...r.files.map((h) => `  ${ctx.pool.localPath(h) ?? h}`), ...evicted, ...r.evicted.map((h) => `  ${ctx.pool.localPath(h) ?? h}`)], r);
        } else {
          emit(opts, [`deleted ${plural(r.deleted, 'unreferenced file')}, freed ${formatBytes(r.bytes)}${kept}`, ...evicted].join('\n'), r);
        }
      }),
    );
  addMigrateCommand(db);
  return db;
}
