import { Command } from 'commander';
import type { MirrorDetails } from '../../model/mirror-admin.js';
import type { RepoRecord } from '../../store/records.js';
import { emit, globalOptions, result } from '../output.js';
import { viaServer } from '../via-server.js';
import { withContext } from '../with-context.js';
import { plural } from '../../model/human-units.js';

// Imported where used: "repo add" sent to a running server (via-server.ts) loads neither the
// package reader nor the store.
const ops = (): Promise<typeof import('../../model/repo-ops.js')> => import('../../model/repo-ops.js');
const summary = async (): Promise<typeof import('../../model/mirror-admin.js').packageSummary> => (await import('../../model/mirror-admin.js')).packageSummary;

type PackageSummary = MirrorDetails['packages'][number];

/** What `repo add` did, as the API answers it and `--json` prints it. */
interface Added {
  readonly added: readonly PackageSummary[];
  readonly unchanged: readonly PackageSummary[];
  readonly replaced: readonly PackageSummary[];
}

export function repoCommand(): Command {
  const repo = new Command('repo').description('local repositories of your own .deb files');

  repo
    .command('create')
    .argument('<name>')
    .option('--comment <text>', 'what the repo is for')
    .description('create an empty local repo')
    .action(async (name: string, o: { comment?: string }, cmd: Command) =>
      withContext(cmd, async (ctx, opts) => {
        const r = await (await ops()).createRepo(ctx, name, o.comment ?? '');
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
    .action(async (name: string, paths: string[], o: { forceReplace?: boolean; component?: string }, cmd: Command) => {
      const r = await viaServer<Added>(cmd, {
        server: async (api) => {
          // In the local order: the repo must exist before the files are looked at.
          await api.call<RepoRecord>('GET', `/api/repos/${encodeURIComponent(name)}`);
          const files = await (await ops()).packageFiles(paths);
          if (files.length === 0) return { added: [], unchanged: [], replaced: [] };
          const query = new URLSearchParams({ ...(o.forceReplace === true ? { forceReplace: 'true' } : {}), ...(o.component ? { component: o.component } : {}) }).toString();
          return api.upload<Added>(`/api/repos/${encodeURIComponent(name)}/packages${query ? `?${query}` : ''}`, files);
        },
        local: async (ctx) => {
          const done = await (await ops()).addToRepo(ctx, name, paths, { forceReplace: o.forceReplace === true, ...(o.component ? { component: o.component } : {}) });
          const packageSummary = await summary();
          return { added: done.added.map(packageSummary), unchanged: done.unchanged.map(packageSummary), replaced: done.replaced.map(packageSummary) };
        },
      });
      const lines = [
        `${name}: added ${r.added.length}, already there ${r.unchanged.length}${r.replaced.length > 0 ? `, replaced ${r.replaced.length}` : ''}`,
        ...r.added.map((p) => `  + ${p.name} ${p.version} ${p.architecture}`),
      ];
      emit(globalOptions(cmd), lines, r);
    });

  repo
    .command('remove')
    .argument('<name>')
    .argument('<query>', 'packages to remove (aptly filter grammar)')
    .description('remove the packages matching a query')
    .action(async (name: string, query: string, _o: unknown, cmd: Command) =>
      withContext(cmd, async (ctx, opts) => {
        const gone = await (await ops()).removeFromRepo(ctx, name, query);
        emit(opts, [`${name}: removed ${gone.length}`, ...gone.map((p) => `  - ${p.name} ${p.version} ${p.architecture}`)], { removed: gone.map(await summary()) });
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
        const r = await (await ops()).requireRepo(ctx, name);
        const packages = (await ctx.store.repoPackages(name)).map(await summary());
        result(opts, [`name:     ${r.name}`, `comment:  ${r.comment || '-'}`, `created:  ${r.createdAt}`, `packages: ${packages.length}`, ...packages.map((p) => `  ${p.name} ${p.version} ${p.architecture}`)], { ...r, packages });
      }),
    );

  repo
    .command('drop')
    .argument('<name>')
    .description('delete a local repo (refused while published)')
    .action(async (name: string, _o: unknown, cmd: Command) =>
      withContext(cmd, async (ctx, opts) => {
        await (await ops()).dropRepo(ctx, name);
        emit(opts, `dropped repo ${name}`, { dropped: name });
      }),
    );
  return repo;
}
