import { Command } from 'commander';
import { resolvePassphrase } from '../../keys/passphrase.js';
import { configuredListen } from '../../config/find-config.js';
import { clientBaseUrl, clientConfig } from '../../model/client-config.js';
import type { Context } from '../../model/context.js';
import { dropPublish, exportPublish, publish, type PublishOptions, switchPublish, updatePublish } from '../../model/publish-ops.js';
import type { ExportTreeResult } from '../../publish/export-tree.js';
import type { PublishRecord } from '../../store/records.js';
import { cancellable } from '../cancel-on-signal.js';
import { emit, type GlobalOptions, result, warn } from '../output.js';
import { withContext } from '../with-context.js';
import { parseListen } from '../../config/listen-address.js';

const where = (p: PublishRecord): string => `${p.prefix ? `${p.prefix}/` : ''}dists/${p.dist}`;
const describe = (p: PublishRecord): string =>
  `${where(p)}: ${p.source.kind} ${p.source.name}, ${p.architectures.join(',')}${p.contents === true ? ', with Contents' : ''}, signed by ${p.keyFingerprint.slice(-16)}, updated ${p.updatedAt}`;
const csv = (value: string, previous: string[] = []): string[] => [...previous, ...value.split(',').filter((v) => v !== '')];
const EXPORT_HELP = 'then write the publish as a plain tree into DIR (pool/ as hard links), for nginx or rsync';
const exported = (dir: string, r: ExportTreeResult): string =>
  `exported to ${dir}: ${r.pool.placed + r.pool.copied} pool files added (${r.pool.copied} copied), ${r.pool.kept} kept, ${r.pool.removed} removed; ${r.dists.written} dists files written, ${r.dists.removed} removed`;

/** After a publish with `--export DIR`: that distribution exported; the lines to print and the JSON. */
async function exportAfter(ctx: Context, p: PublishRecord, dir: string | undefined, signal?: AbortSignal): Promise<{ lines: string[]; json: object }> {
  if (dir === undefined) return { lines: [], json: {} };
  const r = await exportPublish(ctx, dir, { prefix: p.prefix, dist: p.dist, ...(signal ? { signal } : {}) });
  return { lines: [exported(dir, r)], json: { export: { dir, ...r } } };
}

interface PublishFlags {
  dist: string;
  prefix?: string;
  component?: string;
  key?: string;
  origin?: string;
  label?: string;
  arch?: string[];
  contents?: boolean;
  md5?: boolean;
  passphraseFile?: string;
  export?: string;
}

function publishFlags(cmd: Command): Command {
  return cmd
    .requiredOption('--dist <dist>', 'distribution name clients put in Suites')
    .option('--prefix <prefix>', 'publish under this path (default: the root)')
    .option('--component <c>', 'put every package in this component (default: keep their own)')
    .option('--key <keyid>', 'signing key (default: the default key of "debstash key list")')
    .option('--origin <text>', 'Release Origin (default debstash)')
    .option('--label <text>', 'Release Label')
    .option('--arch <list>', 'architectures to publish (default: those of the packages)', csv)
    .option('--contents', 'also write Contents-ARCH.gz (file lists of the packages; kept by switch and update)')
    .option('--md5', 'also list MD5Sum in Release (kept by switch and update)')
    .option('--passphrase-file <file>', 'key passphrase (or env DEBSTASH_KEY_PASSPHRASE / _FILE)')
    .option('--export <dir>', EXPORT_HELP);
}

async function options(o: PublishFlags, signal: AbortSignal): Promise<PublishOptions> {
  const passphrase = await resolvePassphrase(o.passphraseFile !== undefined ? { file: o.passphraseFile } : {});
  return {
    dist: o.dist,
    ...(o.prefix !== undefined ? { prefix: o.prefix } : {}),
    ...(o.component !== undefined ? { component: o.component } : {}),
    ...(o.key !== undefined ? { keyFingerprint: o.key } : {}),
    ...(o.origin !== undefined ? { origin: o.origin } : {}),
    ...(o.label !== undefined ? { label: o.label } : {}),
    ...(o.arch !== undefined ? { architectures: o.arch } : {}),
    ...(o.contents === true ? { contents: true } : {}),
    ...(o.md5 === true ? { md5: true } : {}),
    ...(passphrase !== undefined ? { passphrase } : {}),
    signal,
  };
}

export function publishCommand(): Command {
  const pub = new Command('publish').description('signed APT trees of snapshots and repos');

  for (const kind of ['snapshot', 'repo'] as const) {
    publishFlags(pub.command(kind).argument('<name>').description(`publish a ${kind} at PREFIX/dists/DIST, signed`)).action(
      async (name: string, o: PublishFlags, cmd: Command) =>
        withContext(cmd, async (ctx, opts) => {
          const { p, ex } = await cancellable(async (signal) => {
            const done = await publish(ctx, { kind, name }, await options(o, signal));
            return { p: done, ex: await exportAfter(ctx, done, o.export, signal) };
          });
          emit(opts, [`published ${describe(p)}`, ...ex.lines, `next: debstash client-config ${p.dist}${p.prefix ? ` --prefix ${p.prefix}` : ''}`], { ...p, ...ex.json });
        }),
    );
  }

  pub
    .command('switch')
    .argument('<dist>')
    .argument('<snapshot>')
    .option('--prefix <prefix>')
    .option('--passphrase-file <file>')
    .option('--export <dir>', EXPORT_HELP)
    .description('make a publish show another snapshot, atomically for clients')
    .action(async (dist: string, snapshot: string, o: { prefix?: string; passphraseFile?: string; export?: string }, cmd: Command) =>
      withContext(cmd, async (ctx, opts) => {
        const passphrase = await resolvePassphrase(o.passphraseFile !== undefined ? { file: o.passphraseFile } : {});
        const { p, ex } = await cancellable(async (signal) => {
          const done = await switchPublish(ctx, dist, snapshot, { ...(o.prefix !== undefined ? { prefix: o.prefix } : {}), ...(passphrase !== undefined ? { passphrase } : {}), signal });
          return { p: done, ex: await exportAfter(ctx, done, o.export, signal) };
        });
        emit(opts, [`switched ${describe(p)}`, ...ex.lines], { ...p, ...ex.json });
      }),
    );

  pub
    .command('update')
    .argument('<dist>')
    .option('--prefix <prefix>')
    .option('--passphrase-file <file>')
    .option('--export <dir>', EXPORT_HELP)
    .description("republish a repo's current contents")
    .action(async (dist: string, o: { prefix?: string; passphraseFile?: string; export?: string }, cmd: Command) =>
      withContext(cmd, async (ctx, opts) => {
        const passphrase = await resolvePassphrase(o.passphraseFile !== undefined ? { file: o.passphraseFile } : {});
        const { p, ex } = await cancellable(async (signal) => {
          const done = await updatePublish(ctx, dist, { ...(o.prefix !== undefined ? { prefix: o.prefix } : {}), ...(passphrase !== undefined ? { passphrase } : {}), signal });
          return { p: done, ex: await exportAfter(ctx, done, o.export, signal) };
        });
        emit(opts, [`updated ${describe(p)}`, ...ex.lines], { ...p, ...ex.json });
      }),
    );

  pub
    .command('export')
    .argument('<dir>')
    .argument('[dist]', 'only this distribution (default: every one of the prefix)')
    .option('--prefix <prefix>')
    .description('write a publish as a plain tree into DIR (dists/ copied, pool/ as hard links) for nginx or rsync; again, only what changed')
    .action(async (dir: string, dist: string | undefined, o: { prefix?: string }, cmd: Command) =>
      withContext(cmd, async (ctx, opts) => {
        const r = await cancellable((signal) => exportPublish(ctx, dir, { ...(o.prefix !== undefined ? { prefix: o.prefix } : {}), ...(dist !== undefined ? { dist } : {}), signal }));
        emit(opts, exported(dir, r), { dir, ...r });
      }),
    );

  pub
    .command('list')
    .description('list publishes')
    .action(async (_o: unknown, cmd: Command) =>
      withContext(cmd, async (ctx, opts) => {
        const all = await ctx.store.listPublishes();
        result(opts, all.length === 0 ? 'nothing published' : all.map(describe), all);
      }),
    );

  pub
    .command('drop')
    .argument('<dist>')
    .option('--prefix <prefix>')
    .description('remove a publish (its snapshot stays)')
    .action(async (dist: string, o: { prefix?: string }, cmd: Command) =>
      withContext(cmd, async (ctx, opts) => {
        await dropPublish(ctx, dist, o.prefix !== undefined ? { prefix: o.prefix } : {});
        emit(opts, `dropped ${o.prefix ? `${o.prefix}/` : ''}dists/${dist}`, { dropped: { prefix: o.prefix ?? '', dist } });
      }),
    );
  return pub;
}

/** The URL of a server listening where the config says; a wildcard's stand-in is noted on stderr. */
function configuredUrl(listen: string, opts: GlobalOptions): string {
  const { host, port } = parseListen(listen);
  const base = clientBaseUrl(host, port);
  if (base.note !== undefined) warn(opts, base.note);
  return base.url;
}

export function clientConfigCommand(): Command {
  return new Command('client-config')
    .argument('<dist>')
    .option('--prefix <prefix>')
    .option('--url <url>', 'where clients reach the server (default: from server.listen of the config, http://127.0.0.1:8080)')
    .option('--key-path <path>', 'refer to the key by path instead of embedding it')
    .description('print the deb822 .sources a client needs (Signed-By included)')
    .action(async (dist: string, o: { prefix?: string; url?: string; keyPath?: string }, cmd: Command) =>
      withContext(cmd, async (ctx, opts) => {
        const url = o.url ?? configuredUrl(await configuredListen(opts.config), opts);
        const text = await clientConfig(ctx, dist, { url, ...(o.prefix !== undefined ? { prefix: o.prefix } : {}), ...(o.keyPath !== undefined ? { keyPath: o.keyPath } : {}) });
        if (opts.json) emit(opts, '', { sources: text });
        else process.stdout.write(text);
      }),
    );
}
