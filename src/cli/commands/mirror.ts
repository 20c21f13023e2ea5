import { Command } from 'commander';
import type { UpdateMirrorResult } from '../../model/mirror-update.js';
import { DebstashError } from '../../errors/debstash-error.js';
import { longJob } from '../long-job.js';
import { parseConcurrency } from '../parse-concurrency.js';
import type { MirrorConfigInput } from '../../model/mirror-config.js';
import type { MirrorRecord } from '../../store/records.js';
import { emit, globalOptions, result, warn } from '../output.js';
import { viaServer } from '../via-server.js';
import { withContext } from '../with-context.js';
import { formatBytes, plural } from '../../model/human-units.js';

// Imported where used: "mirror update" sent to a running server (via-server.ts) loads none of
// the upstream client, OpenPGP or the store.
const admin = (): Promise<typeof import('../../model/mirror-admin.js')> => import('../../model/mirror-admin.js');

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
const csv = (value: string, previous: string[] = []): string[] => [...previous, ...value.split(',')];

function describe(m: MirrorRecord): string {
  const c = m.config;
  return `${m.name}: ${c.url} ${c.dist} [${c.components.join(' ')}] ${c.architectures.join(',')}, ${plural(m.packageCount, 'package')}${c.policy !== undefined ? ` (${c.policy})` : ''}, ${m.updatedAt ? `updated ${m.updatedAt}` : 'never updated'}`;
}

interface SwitchOptions {
  withDeps?: boolean;
  withRecommends?: boolean;
  withSources?: boolean;
  withUdebs?: boolean;
  policy?: string;
}

function switches(o: SwitchOptions): Partial<MirrorConfigInput> {
  return {
    ...(o.withDeps !== undefined ? { withDeps: o.withDeps } : {}),
    ...(o.withRecommends !== undefined ? { withRecommends: o.withRecommends } : {}),
    ...(o.withSources !== undefined ? { withSources: o.withSources } : {}),
    ...(o.withUdebs !== undefined ? { withUdebs: o.withUdebs } : {}),
    ...(o.policy !== undefined ? { policy: o.policy } : {}),
  };
}

function updateSummary(r: UpdateMirrorResult, verbose: boolean): string[] {
  // The result repeats them: progress warnings scroll by, and an up-to-date run has no progress.
  const warnings = r.warnings.map((w) => `warning: ${w.message}`);
  if (r.upToDate) return [`${r.mirror}: up to date (${plural(r.packages, 'package')})`, ...warnings];
  const size = formatBytes(r.downloadBytes);
  const head = r.dryRun
    ? `${r.mirror}: would have ${plural(r.packages, 'package')}: +${r.added.length} -${r.removed.length}, download ${plural(r.downloadFiles, 'file')} (${size})`
    : `${r.mirror}: ${plural(r.packages, 'package')}: +${r.added.length} -${r.removed.length}, downloaded ${plural(r.downloadFiles, 'file')} (${size})`;
  const deferred = r.deferredFiles > 0 ? [`${plural(r.deferredFiles, 'file')} (${formatBytes(r.deferredBytes)}) ${r.dryRun ? 'would be' : 'are'} deferred: fetched from upstream at a client's first request`] : [];
  const show = r.dryRun || verbose;
  return [
    head,
    ...deferred,
    ...(show ? r.added.map((p) => `  + ${p.name} ${p.version} ${p.architecture}`) : []),
    ...(show ? r.removed.map((p) => `  - ${p.name} ${p.version} ${p.architecture}`) : []),
    ...(r.unresolved.length > 0 ? [`${r.unresolved.length} unresolved dependencies (see "debstash mirror show ${r.mirror}")`] : []),
    ...warnings,
  ];
}

export function mirrorCommand(): Command {
  const mirror = new Command('mirror').description('mirrors of upstream archives: create, update, inspect');

  mirror
    .command('create')
    .description('define a mirror of an upstream archive (nothing is downloaded until update)')
    .argument('<name>')
    .argument('<url>', 'archive root, e.g. http://HOST/debian or file:/srv/repo')
    .argument('<dist>', 'distribution (suite or codename), e.g. bookworm')
    .argument('[components...]', 'components (default main)')
    .option('--arch <list>', 'architectures, comma-separated (default: the host architecture)', csv)
    .option('--filter <query>', 'keep only packages matching this query (aptly grammar)')
    .option('--with-deps', 'add the dependencies of matched packages')
    .option('--with-recommends', 'follow Recommends too (with --with-deps)')
    .option('--with-sources', 'also mirror the source packages of the selected binaries')
    .option('--with-udebs', 'also mirror debian-installer udebs')
    .option('--keyring <file>', 'keyring the Release signature must verify against (repeatable; default: what apt trusts for this URL)', collect)
    .option('--deps-from <mirror>', 'resolve dependencies against another mirror too (repeatable)', collect)
    .option('--policy <policy>', 'when package files are fetched: immediate (by update, the default), on-demand (at a client\'s first request; evictable) or cache-on-serve (at the first request; kept)')
    .action(async (name: string, url: string, dist: string, components: string[], o: SwitchOptions & { arch?: string[]; filter?: string; keyring?: string[]; depsFrom?: string[] }, cmd: Command) =>
      withContext(cmd, async (ctx, opts) => {
        const input: MirrorConfigInput = {
          url,
          dist,
          ...(components.length > 0 ? { components } : {}),
          ...(o.arch ? { architectures: o.arch } : {}),
          ...(o.filter !== undefined ? { filter: o.filter } : {}),
          ...switches(o),
          ...(o.keyring ? { keyrings: o.keyring } : {}),
          ...(o.depsFrom ? { depsFrom: o.depsFrom } : {}),
        };
        const { hostArchitecture, hostKeyringsFor } = await import('../../model/host-defaults.js');
        const m = await (await admin()).createMirror(ctx, name, input, { architectures: [hostArchitecture()], keyrings: await hostKeyringsFor(url) });
        if (m.config.keyrings.length === 0) warn(opts, `no keyring given or trusted by apt for ${url}; updates will fail until you add one with "mirror edit --keyring"`);
        emit(opts, `created mirror ${describe(m)}\nnext: debstash mirror update ${name}`, m);
      }),
    );

  mirror
    .command('update')
    .description('fetch and verify the upstream, select packages, download what is missing, commit')
    .argument('<name>')
    .option('--dry-run', 'show what would be added, removed and downloaded; change nothing')
    .option('--concurrency <n>', 'most parallel downloads (default 16; starts at 8 and grows while throughput does)')
    .option('--force', 're-select even when upstream and mirror are unchanged')
    .option('--strict-deps', 'fail when a dependency cannot be satisfied (default: warn)')
    .option('--strict-filter', 'fail when a term of the filter matches no package (default: warn)')
    .action(async (name: string, o: { dryRun?: boolean; concurrency?: string; force?: boolean; strictDeps?: boolean; strictFilter?: boolean }, cmd: Command) => {
      const concurrency = parseConcurrency(o.concurrency);
      const options = { dryRun: o.dryRun === true, ...(concurrency !== undefined ? { concurrency } : {}), force: o.force === true, strictDeps: o.strictDeps === true, strictFilter: o.strictFilter === true };
      // Either way the same renderer draws the progress: the server's arrives as its task's events.
      const r = await viaServer(cmd, {
        server: (api, opts) => longJob(opts.quiet, (io) => api.task<UpdateMirrorResult>(`/api/mirrors/${encodeURIComponent(name)}/update`, options, io)),
        local: async (ctx, opts) => {
          const { updateMirror } = await import('../../model/mirror-update.js');
          return longJob(opts.quiet, (io) => updateMirror(ctx, name, { ...options, ...io }));
        },
      });
      const opts = globalOptions(cmd);
      emit(opts, updateSummary(r, opts.verbose), r);
    });

  mirror
    .command('list')
    .description('list mirrors')
    .action(async (_o: unknown, cmd: Command) =>
      withContext(cmd, async (ctx, opts) => {
        const all = await ctx.store.listMirrors();
        result(opts, all.length === 0 ? 'no mirrors; create one with "debstash mirror create"' : all.map(describe), all);
      }),
    );

  mirror
    .command('show')
    .description('show a mirror, its packages and its unresolved dependencies')
    .argument('<name>')
    .action(async (name: string, _o: unknown, cmd: Command) =>
      withContext(cmd, async (ctx, opts) => {
        const d = await (await admin()).showMirror(ctx, name);
        const c = d.config;
        const lines = [
          `name:          ${d.name}`,
          `upstream:      ${c.url} ${c.dist} [${c.components.join(' ')}]`,
          `architectures: ${c.architectures.join(', ')}`,
          `filter:        ${c.filter ?? '(all packages)'}`,
          `options:       ${[c.withDeps && 'with-deps', c.withRecommends && 'with-recommends', c.withSources && 'with-sources', c.withUdebs && 'with-udebs'].filter(Boolean).join(', ') || '-'}`,
          `keyrings:      ${c.keyrings.join(', ') || '-'}`,
          `policy:        ${c.policy ?? 'immediate'}`,
          ...(c.depsFrom.length > 0 ? [`deps from:     ${c.depsFrom.join(', ')}`] : []),
          ...(c.updateDepsFrom === true ? ['update deps:   newer versions of what deps-from mirrors hold are taken too'] : []),
          `updated:       ${d.updatedAt ?? 'never'}`,
          `packages:      ${d.packages.length}`,
          ...(opts.verbose ? d.packages.map((p) => `  ${p.name} ${p.version} ${p.architecture}`) : []),
          ...(d.unresolved.length > 0 ? [`unresolved:    ${d.unresolved.length}`, ...d.unresolved.map((u) => `  ${u.package}: ${u.dependency}`)] : []),
        ];
        result(opts, lines, d);
      }),
    );

  mirror
    .command('edit')
    .description('change a mirror; the next update applies the change')
    .argument('<name>')
    .option('--url <url>')
    .option('--dist <dist>')
    .option('--components <list>', 'comma-separated', csv)
    .option('--arch <list>', 'comma-separated', csv)
    .option('--filter <query>', 'new filter; "" removes it')
    .option('--with-deps')
    .option('--no-with-deps')
    .option('--with-recommends')
    .option('--no-with-recommends')
    .option('--with-sources')
    .option('--no-with-sources')
    .option('--with-udebs')
    .option('--no-with-udebs')
    .option('--keyring <file>', 'replaces the keyrings (repeatable)', collect)
    .option('--deps-from <mirror>', 'replaces the deps-from list (repeatable)', collect)
    .option('--policy <policy>', 'when package files are fetched: immediate (by update, the default), on-demand (at a client\'s first request; evictable) or cache-on-serve (at the first request; kept)')
    .action(async (name: string, o: SwitchOptions & { url?: string; dist?: string; components?: string[]; arch?: string[]; filter?: string; keyring?: string[]; depsFrom?: string[] }, cmd: Command) =>
      withContext(cmd, async (ctx, opts) => {
        const m = await (await admin()).editMirror(ctx, name, {
          ...(o.url !== undefined ? { url: o.url } : {}),
          ...(o.dist !== undefined ? { dist: o.dist } : {}),
          ...(o.components ? { components: o.components } : {}),
          ...(o.arch ? { architectures: o.arch } : {}),
          ...(o.filter !== undefined ? { filter: o.filter } : {}),
          ...switches(o),
          ...(o.keyring ? { keyrings: o.keyring } : {}),
          ...(o.depsFrom ? { depsFrom: o.depsFrom } : {}),
        });
        emit(opts, `changed mirror ${describe(m)}`, m);
      }),
    );

  mirror
    .command('drop')
    .description('delete a mirror (its files stay in the pool until "db cleanup")')
    .argument('<name>')
    .action(async (name: string, _o: unknown, cmd: Command) =>
      withContext(cmd, async (ctx, opts) => {
        await (await admin()).dropMirror(ctx, name);
        emit(opts, `dropped mirror ${name}`, { dropped: name });
      }),
    );

  return mirror;
}
