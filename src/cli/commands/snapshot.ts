import { Command } from 'commander';
import { DebstashError } from '../../errors/debstash-error.js';
import type { SnapshotRecord } from '../../store/records.js';
import { emit, globalOptions, result } from '../output.js';
import { viaServer } from '../via-server.js';
import { withContext } from '../with-context.js';
import { plural } from '../../model/human-units.js';

// Imported where used: "snapshot create" sent to a running server (via-server.ts) never loads them.
const ops = (): Promise<typeof import('../../model/snapshot-ops.js')> => import('../../model/snapshot-ops.js');

const created = (s: SnapshotRecord): string => `created snapshot ${s.name}: ${plural(s.packageCount, 'package')} (${s.description})`;

export function snapshotCommand(): Command {
  const snapshot = new Command('snapshot').description('immutable, named sets of packages');

  snapshot
    .command('create')
    .argument('<name>')
    .option('--from-mirror <mirror>')
    .option('--from-repo <repo>')
    .description('freeze what a mirror or repo holds now')
    .action(async (name: string, o: { fromMirror?: string; fromRepo?: string }, cmd: Command) => {
      if ((o.fromMirror === undefined) === (o.fromRepo === undefined)) {
        throw new DebstashError('DEBSTASH_E_USAGE', 'give exactly one of --from-mirror or --from-repo');
      }
      const from = o.fromMirror !== undefined ? { mirror: o.fromMirror } : { repo: o.fromRepo as string };
      const s = await viaServer(cmd, {
        server: (api) => api.call<SnapshotRecord>('POST', '/api/snapshots', { name, ...('mirror' in from ? { fromMirror: from.mirror } : { fromRepo: from.repo }) }),
        local: async (ctx) => (await ops()).createSnapshot(ctx, name, from),
      });
      emit(globalOptions(cmd), created(s), s);
    });

  snapshot
    .command('merge')
    .argument('<dest>')
    .argument('<sources...>')
    .option('--latest', 'keep only the newest version of each package')
    .description('a new snapshot with the packages of all sources')
    .action(async (dest: string, sources: string[], o: { latest?: boolean }, cmd: Command) =>
      withContext(cmd, async (ctx, opts) => {
        const s = await (await ops()).mergeSnapshots(ctx, dest, sources, { latest: o.latest === true });
        emit(opts, created(s), s);
      }),
    );

  snapshot
    .command('filter')
    .argument('<src>')
    .argument('<dest>')
    .argument('<query>')
    .option('--with-deps', 'also keep what the matches depend on')
    .description('a new snapshot with the packages of SRC that match QUERY')
    .action(async (src: string, dest: string, query: string, o: { withDeps?: boolean }, cmd: Command) =>
      withContext(cmd, async (ctx, opts) => {
        const s = await (await ops()).filterSnapshot(ctx, src, dest, query, { withDeps: o.withDeps === true });
        emit(opts, created(s), s);
      }),
    );

  snapshot
    .command('pull')
    .argument('<dest>')
    .argument('<src>')
    .argument('<query>')
    .requiredOption('--base <snapshot>', 'the snapshot DEST starts from (left unchanged)')
    .option('--with-deps', 'also pull what the matches depend on')
    .description('a new snapshot DEST: BASE with the packages of SRC matching QUERY replacing their older versions')
    .action(async (dest: string, src: string, query: string, o: { base: string; withDeps?: boolean }, cmd: Command) =>
      withContext(cmd, async (ctx, opts) => {
        const s = await (await ops()).pullIntoSnapshot(ctx, o.base, src, dest, query, { withDeps: o.withDeps === true });
        emit(opts, created(s), s);
      }),
    );

  snapshot
    .command('diff')
    .argument('<a>')
    .argument('<b>')
    .description('what changes from snapshot A to snapshot B')
    .action(async (a: string, b: string, _o: unknown, cmd: Command) =>
      withContext(cmd, async (ctx, opts) => {
        const d = await (await ops()).diffSnapshots(ctx, a, b);
        result(
          opts,
          [
            ...d.added.map((p) => `+ ${p.name} ${p.version} ${p.architecture}`),
            ...d.removed.map((p) => `- ${p.name} ${p.version} ${p.architecture}`),
            ...d.upgraded.map((p) => `^ ${p.name} ${p.from} -> ${p.to} ${p.architecture}`),
            ...d.downgraded.map((p) => `v ${p.name} ${p.from} -> ${p.to} ${p.architecture}`),
            `${d.added.length} added, ${d.removed.length} removed, ${d.upgraded.length} upgraded, ${d.downgraded.length} downgraded`,
          ],
          d,
        );
      }),
    );

  snapshot
    .command('verify')
    .argument('<name>')
    .description('list dependencies the snapshot cannot satisfy by itself')
    .action(async (name: string, _o: unknown, cmd: Command) =>
      withContext(cmd, async (ctx, opts) => {
        const unresolved = await (await ops()).verifySnapshot(ctx, name);
        result(opts, unresolved.length === 0 ? `${name}: every dependency is satisfied` : unresolved.map((u) => `${u.package}: ${u.dependency}`), { name, unresolved });
      }),
    );

  snapshot
    .command('list')
    .description('list snapshots, oldest first')
    .action(async (_o: unknown, cmd: Command) =>
      withContext(cmd, async (ctx, opts) => {
        const all = await ctx.store.listSnapshots();
        result(opts, all.length === 0 ? 'no snapshots' : all.map((s) => `${s.name}: ${plural(s.packageCount, 'package')}, ${s.createdAt} (${s.description})`), all);
      }),
    );

  snapshot
    .command('show')
    .argument('<name>')
    .description('show a snapshot and its packages')
    .action(async (name: string, _o: unknown, cmd: Command) =>
      withContext(cmd, async (ctx, opts) => {
        const s = await (await ops()).requireSnapshot(ctx, name);
        const { packageSummary } = await import('../../model/mirror-admin.js');
        const packages = (await ctx.store.snapshotPackages(name)).map(packageSummary);
        result(opts, [`name:        ${s.name}`, `created:     ${s.createdAt}`, `description: ${s.description}`, `packages:    ${packages.length}`, ...(opts.verbose ? packages.map((p) => `  ${p.name} ${p.version} ${p.architecture}`) : [])], { ...s, packages });
      }),
    );

  snapshot
    .command('drop')
    .argument('<name>')
    .description('delete a snapshot (refused while published)')
    .action(async (name: string, _o: unknown, cmd: Command) =>
      withContext(cmd, async (ctx, opts) => {
        await (await ops()).dropSnapshot(ctx, name);
        emit(opts, `dropped snapshot ${name}`, { dropped: name });
      }),
    );
  return snapshot;
}
