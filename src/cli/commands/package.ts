import { Command } from 'commander';
import { searchPackages, type PackageHit } from '../../model/package-search.js';
import { result } from '../output.js';
import { withContext } from '../with-context.js';

const where = (h: PackageHit): string => h.locations.map((l) => `${l.kind} ${l.name}`).join(', ');

/** `debstash package search|show QUERY`: packages across mirrors, repos and snapshots. */
export function packageCommand(): Command {
  const pkg = new Command('package').description('find packages across mirrors, repos and snapshots');

  pkg
    .command('search')
    .argument('<query>', 'aptly filter grammar, e.g. "nginx | Priority (required)"')
    .description('packages matching a query, and where they are')
    .action(async (query: string, _o: unknown, cmd: Command) =>
      withContext(cmd, async (ctx, opts) => {
        const hits = await searchPackages(ctx, query);
        result(opts, hits.length === 0 ? 'no package matches' : hits.map((h) => `${h.name} ${h.version} ${h.architecture}  (${where(h)})`), hits.map(({ stanza: _stanza, ...rest }) => rest));
      }),
    );

  pkg
    .command('show')
    .argument('<query>')
    .description('the index paragraph of each matching package, and where it is')
    .action(async (query: string, _o: unknown, cmd: Command) =>
      withContext(cmd, async (ctx, opts) => {
        const hits = await searchPackages(ctx, query);
        result(opts, hits.length === 0 ? 'no package matches' : hits.map((h) => `${h.stanza.trimEnd()}\nX-Debstash-In: ${where(h)}\n`), hits);
      }),
    );
  return pkg;
}
