import { Command } from 'commander';
import { checkDb, cleanupDb } from '../../model/db-maintenance.js';
import { emit } from '../output.js';
import { withContext } from '../with-context.js';

export function dbCommand(): Command {
  const db = new Command('db').description('consistency of metadata and pool');
  db.command('check')
    .description('find referenced files missing from the pool, and unreferenced ones')
    .action(async (_o: unknown, cmd: Command) =>
      withContext(cmd, async (ctx, opts) => {
        const r = await checkDb(ctx);
        emit(opts, [`${r.referenced} files referenced, ${r.missing.length} missing, ${r.unreferenced.length} unreferenced (removed by "db cleanup")`, ...r.missing.map((h) => `  missing ${h}`)], r);
        if (r.missing.length > 0) process.exitCode = 1;
      }),
    );
  db.command('cleanup')
    .description('delete pool files nothing refers to (run when no update is running)')
    .action(async (_o: unknown, cmd: Command) =>
      withContext(cmd, async (ctx, opts) => {
        const r = await cleanupDb(ctx);
        emit(opts, `deleted ${r.deleted} unreferenced files`, r);
      }),
    );
  return db;
}
