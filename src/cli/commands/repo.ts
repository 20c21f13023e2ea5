import { Command } from 'commander';
import { addToRepo, createRepo, dropRepo, removeFromRepo, requireRepo } from '../../model/repo-ops.js';
import { packageSummary } from '../../model/mirror-admin.js';
import { emit, result } from '../output.js';
import { withContext } from '../with-context.js';
import { plural } from '../../model/human-units.js';

export function repoCommand(): Command {
  const repo = new Command('repo').description('local repositories of your own .deb files');

  repo
    .command('create')
    .argument('<name>')
    .option('--comment <text>', 'what the repo is for')
    .description('create an empty local repo')
    .action(async (name: string, o: { comment?: string }, cmd: Command) =>
      withContext(cmd, async (ctx, opts) => {
        const r = await createRepo(ctx, name, o.comment ?? '');
        emit(opts, `created repo ${r.name}\nnext: debstash repo add ${r.name} FILE.deb|DIR`, r);
      }),
    );

  repo
    .command('add')
    .argument('<name>')
    .argument('<paths...>', '.deb/.udeb files or directories (searched recursively)')
    .option('--force-replace', 'replace a different file with the same name, version and architecture')
    .option('--component <c>', 'component to file the packages under (default main)')
    .description('add packages to a local repo (stored once in the pool)')
    .action(async (name: string, paths: string[], o: { forceReplace?: boolean; component?: string }, cmd: Command) =>
      withContext(cmd, async (ctx, opts) => {
        const r = await addToRepo(ctx, name, paths, { forceReplace: o.forceReplace === true, ...(o.component ? { component: o.component } : {}) });
        const lines = [
          `${name}: added ${r.added.length}, already there ${r.unchanged.length}${r.replaced.length > 0 ? `, replaced ${r.replaced.length}` : ''}`,
          ...r.added.map((p) => `  + ${p.name} ${p.version} ${p.architecture}`),
        ];
        emit(opts, lines, { added: r.added.map(packageSummary), unchanged: r.unchanged.map(packageSummary), replaced: r.replaced.map(packageSummary) });
      }),
    );

  repo
    .command('remove')
    .argument('<name>')
    .argument('<query>', 'packages to remove (aptly filter grammar)')
    .description('remove the packages matching a query')
    .action(async (name: string, query: string, _o: unknown, cmd: Command) =>
      withContext(cmd, async (ctx, opts) => {
        const gone = await removeFromRepo(ctx, name, query);
        emit(opts, [`${name}: removed ${gone.length}`, ...gone.map((p) => `  - ${p.name} ${p.version} ${p.architecture}`)], { removed: gone.map(packageSummary) });
      }),
    );

  repo
    .command('list')
    .description('list local repos')
    .action(async (_o: unknown, cmd: Command) =>
      withContext(cmd, async (ctx, opts) => {
        const all = await ctx.store.listRepos();
        result(opts, all.length === 0 ? 'no repos; create one with "debstash repo create"' : all.map((r) => `${r.name}: ${plural(r.packageCount, 'package')}${r.comment ? ` (${r.comment})` : ''}`), all);
      }),
    );

  repo
    .command('show')
    .argument('<name>')
    .description('show a local repo and its packages')
    .action(async (name: string, _o: unknown, cmd: Command) =>
      withContext(cmd, async (ctx, opts) => {
        const r = await requireRepo(ctx, name);
        const packages = (await ctx.store.repoPackages(name)).map(packageSummary);
        result(opts, [`name:     ${r.name}`, `comment:  ${r.comment || '-'}`, `created:  ${r.createdAt}`, `packages: ${packages.length}`, ...packages.map((p) => `  ${p.name} ${p.version} ${p.architecture}`)], { ...r, packages });
      }),
    );

  repo
    .command('drop')
    .argument('<name>')
    .description('delete a local repo (refused while published)')
    .action(async (name: string, _o: unknown, cmd: Command) =>
      withContext(cmd, async (ctx, opts) => {
        await dropRepo(ctx, name);
        emit(opts, `dropped repo ${name}`, { dropped: name });
      }),
    );
  return repo;
}
