import { Command } from 'commander';
import { DebstashError } from '../../errors/debstash-error.js';
import type { Context } from '../../model/context.js';
import type { PublishOptions } from '../../model/publish-ops.js';
import type { ExportTreeResult } from '../../publish/export-tree.js';
import type { PublishRecord } from '../../store/records.js';
import type { ApiClient } from '../api-client.js';
import { cancellable } from '../cancel-on-signal.js';
import { emit, type GlobalOptions, globalOptions, result, warn } from '../output.js';
import { viaServer } from '../via-server.js';
import { withContext } from '../with-context.js';

// The model, keys and config modules are imported where they are used: a publish sent to a
// running server (via-server.ts) never loads them, which is most of what it would cost.
const publishOps = (): Promise<typeof import('../../model/publish-ops.js')> => import('../../model/publish-ops.js');

const where = (p: PublishRecord): string => `${p.prefix ? `${p.prefix}/` : ''}dists/${p.dist}`;
const describe = (p: PublishRecord): string =>
  `${where(p)}: ${p.source.kind} ${p.source.name}, ${p.architectures.join(',')}${p.contents === true ? ', with Contents' : ''}, signed by ${p.keyFingerprint.slice(-16)}, updated ${p.updatedAt}`;
/** Whether the Release offers apt's time travel, and why not when it does not. */
const timeTravel = (p: PublishRecord): string =>
  p.publicUrl !== undefined
    ? `time travel: apt update --snapshot ID reaches ${p.publicUrl}/snapshots/ID/${p.prefix ? `${p.prefix}/` : ''}`
    : 'time travel: off (no --public-url or DEBSTASH_PUBLIC_URL, so Release has no Snapshots: field)';
const csv = (value: string, previous: string[] = []): string[] => [...previous, ...value.split(',').filter((v) => v !== '')];
const EXPORT_HELP = 'then write the publish as a plain tree into DIR (pool/ as hard links), for nginx or rsync';
const exported = (dir: string, r: ExportTreeResult): string =>
  `exported to ${dir}: ${r.pool.placed + r.pool.copied} pool files added (${r.pool.copied} copied), ${r.pool.kept} kept, ${r.pool.removed} removed; ${r.dists.written} dists files written, ${r.dists.removed} removed`;

/** A publish step's record, and what its `--export` did (nothing without one). */
interface Published {
  readonly p: PublishRecord;
  readonly ex: { lines: string[]; json: object };
}

const NO_EXPORT: Published['ex'] = { lines: [], json: {} };

/** After a publish with `--export DIR`: that distribution exported; the lines to print and the JSON. */
async function exportAfter(ctx: Context, p: PublishRecord, dir: string | undefined, signal?: AbortSignal): Promise<Published['ex']> {
  if (dir === undefined) return NO_EXPORT;
  const r = await (await publishOps()).exportPublish(ctx, dir, { prefix: p.prefix, dist: p.dist, ...(signal ? { signal } : {}) });
  return { lines: [exported(dir, r)], json: { export: { dir, ...r } } };
}

/** Options of a publish step that only the local path can honour: the server signs with its own passphrase and cannot write into this machine's DIR. */
interface LocalOnlyFlags {
  passphraseFile?: string;
  export?: string;
}

const localOnly = (o: LocalOnlyFlags): string | undefined => (o.export !== undefined ? '--export' : o.passphraseFile !== undefined ? '--passphrase-file' : undefined);

async function passphraseOption(o: LocalOnlyFlags): Promise<{ passphrase?: string }> {
  const { resolvePassphrase } = await import('../../keys/passphrase.js');
  const passphrase = await resolvePassphrase(o.passphraseFile !== undefined ? { file: o.passphraseFile } : {});
  return passphrase !== undefined ? { passphrase } : {};
}

/**
 * A publish step (publish, switch, update) run through a server as its task, or on the data dir
 * followed by `--export`; cancellable with Ctrl-C either way.
 */
function publishStep(cmd: Command, o: LocalOnlyFlags, api: { path: string; body?: object }, local: (ctx: Context, signal: AbortSignal) => Promise<PublishRecord>): Promise<Published> {
  return viaServer(cmd, {
    localOnly: localOnly(o),
    localEnv: ['DEBSTASH_KEY_PASSPHRASE', 'DEBSTASH_KEY_PASSPHRASE_FILE'].find((name) => process.env[name] !== undefined),
    server: (client: ApiClient) => cancellable(async (signal) => ({ p: await client.task<PublishRecord>(api.path, api.body, { signal }), ex: NO_EXPORT })),
    local: (ctx) =>
      cancellable(async (signal) => {
        const p = await local(ctx, signal);
        return { p, ex: await exportAfter(ctx, p, o.export, signal) };
      }),
  });
}

const prefixQuery = (prefix: string | undefined): string => (prefix !== undefined ? `?prefix=${encodeURIComponent(prefix)}` : '');
const prefixOption = (prefix: string | undefined): { prefix?: string } => (prefix !== undefined ? { prefix } : {});

interface PublishFlags extends LocalOnlyFlags {
  dist: string;
  prefix?: string;
  component?: string;
  key?: string;
  origin?: string;
  label?: string;
  arch?: string[];
  contents?: boolean;
  md5?: boolean;
  publicUrl?: string;
  keepGenerations?: string;
}

const KEEP_HELP = 'generations kept served by hash, with their pool files: how far back apt update --snapshot reaches (1 to 100, default 3)';
/** `--keep-generations N`: a whole number from 1 to 100. */
const keepOption = (value: string | undefined): { keepGenerations?: number } => {
  if (value === undefined) return {};
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new DebstashError('DEBSTASH_E_USAGE', `--keep-generations must be a whole number from 1 to 100, not ${JSON.stringify(value)}`);
  return { keepGenerations: n };
};

const PUBLIC_URL_HELP = 'where clients reach the server (env DEBSTASH_PUBLIC_URL): Release then offers apt time travel (Snapshots:, apt update --snapshot ID)';
/** `--public-url`, else DEBSTASH_PUBLIC_URL (empty counts as unset). */
const publicUrlOption = (flag: string | undefined): { publicUrl?: string } => {
  const url = flag ?? (process.env['DEBSTASH_PUBLIC_URL'] || undefined);
  return url !== undefined ? { publicUrl: url } : {};
};

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
    .option('--public-url <url>', `${PUBLIC_URL_HELP}; kept by switch and update`)
    .option('--keep-generations <n>', `${KEEP_HELP}; kept by switch and update`)
    .option('--passphrase-file <file>', 'key passphrase (or env DEBSTASH_KEY_PASSPHRASE / _FILE); the publish then runs here, not on a server')
    .option('--export <dir>', `${EXPORT_HELP}; the publish then runs here, not on a server`);
}

/** The flags as `POST /api/publish` takes them (less the source). */
function publishBody(o: PublishFlags): Omit<PublishOptions, 'keyFingerprint' | 'passphrase' | 'signal'> & { key?: string } {
  return {
    dist: o.dist,
    ...prefixOption(o.prefix),
    ...(o.component !== undefined ? { component: o.component } : {}),
    ...(o.key !== undefined ? { key: o.key } : {}),
    ...(o.origin !== undefined ? { origin: o.origin } : {}),
    ...(o.label !== undefined ? { label: o.label } : {}),
    ...(o.arch !== undefined ? { architectures: o.arch } : {}),
    ...(o.contents === true ? { contents: true } : {}),
    ...(o.md5 === true ? { md5: true } : {}),
    ...publicUrlOption(o.publicUrl),
    ...keepOption(o.keepGenerations),
  };
}

/** The same flags as the model takes them, with the passphrase (this process's) and the signal. */
async function options(o: PublishFlags, signal: AbortSignal): Promise<PublishOptions> {
  const { key, ...rest } = publishBody(o);
  return { ...rest, ...(key !== undefined ? { keyFingerprint: key } : {}), ...(await passphraseOption(o)), signal };
}

export function publishCommand(): Command {
  const pub = new Command('publish').description('signed APT trees of snapshots and repos');

  for (const kind of ['snapshot', 'repo'] as const) {
    publishFlags(pub.command(kind).argument('<name>').description(`publish a ${kind} at PREFIX/dists/DIST, signed`)).action(
      async (name: string, o: PublishFlags, cmd: Command) => {
        const source = { kind, name };
        const { p, ex } = await publishStep(cmd, o, { path: '/api/publish', body: { source, ...publishBody(o) } }, async (ctx, signal) => (await publishOps()).publish(ctx, source, await options(o, signal)));
        emit(globalOptions(cmd), [`published ${describe(p)}`, timeTravel(p), ...ex.lines, `next: debstash client-config ${p.dist}${p.prefix ? ` --prefix ${p.prefix}` : ''}`], { ...p, ...ex.json });
      },
    );
  }

  pub
    .command('switch')
    .argument('<dist>')
    .argument('<snapshot>')
    .option('--prefix <prefix>')
    .option('--passphrase-file <file>')
    .option('--export <dir>', EXPORT_HELP)
    .option('--public-url <url>', `${PUBLIC_URL_HELP}; default: the one the publish has`)
    .option('--keep-generations <n>', `${KEEP_HELP}; default: what the publish has`)
    .description('make a publish show another snapshot, atomically for clients')
    .action(async (dist: string, snapshot: string, o: LocalOnlyFlags & { prefix?: string; publicUrl?: string; keepGenerations?: string }, cmd: Command) => {
      const url = { ...publicUrlOption(o.publicUrl), ...keepOption(o.keepGenerations) };
      const { p, ex } = await publishStep(cmd, o, { path: `/api/publish/${encodeURIComponent(dist)}/switch${prefixQuery(o.prefix)}`, body: { snapshot, ...url } }, async (ctx, signal) =>
        (await publishOps()).switchPublish(ctx, dist, snapshot, { ...prefixOption(o.prefix), ...url, ...(await passphraseOption(o)), signal }),
      );
      emit(globalOptions(cmd), [`switched ${describe(p)}`, ...ex.lines], { ...p, ...ex.json });
    });

  pub
    .command('update')
    .argument('<dist>')
    .option('--prefix <prefix>')
    .option('--passphrase-file <file>')
    .option('--export <dir>', EXPORT_HELP)
    .description("republish a repo's current contents")
    .action(async (dist: string, o: LocalOnlyFlags & { prefix?: string }, cmd: Command) => {
      const { p, ex } = await publishStep(cmd, o, { path: `/api/publish/${encodeURIComponent(dist)}/update${prefixQuery(o.prefix)}` }, async (ctx, signal) =>
        (await publishOps()).updatePublish(ctx, dist, { ...prefixOption(o.prefix), ...(await passphraseOption(o)), signal }),
      );
      emit(globalOptions(cmd), [`updated ${describe(p)}`, ...ex.lines], { ...p, ...ex.json });
    });

  pub
    .command('export')
    .argument('<dir>')
    .argument('[dist]', 'only this distribution (default: every one of the prefix)')
    .option('--prefix <prefix>')
    .description('write a publish as a plain tree into DIR (dists/ copied, pool/ as hard links) for nginx or rsync; again, only what changed')
    .action(async (dir: string, dist: string | undefined, o: { prefix?: string }, cmd: Command) =>
      withContext(cmd, async (ctx, opts) => {
        const r = await cancellable(async (signal) => (await publishOps()).exportPublish(ctx, dir, { ...(o.prefix !== undefined ? { prefix: o.prefix } : {}), ...(dist !== undefined ? { dist } : {}), signal }));
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
        await (await publishOps()).dropPublish(ctx, dist, o.prefix !== undefined ? { prefix: o.prefix } : {});
        emit(opts, `dropped ${o.prefix ? `${o.prefix}/` : ''}dists/${dist}`, { dropped: { prefix: o.prefix ?? '', dist } });
      }),
    );
  return pub;
}

/** The URL of a server listening where the config says; a wildcard's stand-in is noted on stderr. */
async function configuredUrl(listen: string, opts: GlobalOptions): Promise<string> {
  const [{ parseListen }, { clientBaseUrl }] = await Promise.all([import('../../config/listen-address.js'), import('../../model/client-config.js')]);
  const { host, port } = parseListen(listen);
  const base = clientBaseUrl(host, port);
  if (base.note !== undefined) warn(opts, base.note);
  return base.url;
}

export function clientConfigCommand(): Command {
  return new Command('client-config')
    .argument('<dist...>', 'one or more dists of the prefix; those that can share a stanza do (Suites: a b c)')
    .option('--prefix <prefix>')
    .option('--url <url>', 'where clients reach the server (default: server.public_url of the config, else DEBSTASH_PUBLIC_URL, else the public URL of the first dist\'s publish, else from server.listen, http://127.0.0.1:8080)')
    .option('--key-path <path>', 'refer to the key by path instead of embedding it')
    .description('print the deb822 .sources a client needs (Signed-By included)')
    .action(async (dist: string[], o: { prefix?: string; url?: string; keyPath?: string }, cmd: Command) =>
      withContext(cmd, async (ctx, opts) => {
        const [{ configuredPublicUrl, configuredServer }, { clientConfig }, { requirePublish }] = await Promise.all([
          import('../../config/find-config.js'),
          import('../../model/client-config.js'),
          import('../../model/require-publish.js'),
        ]);
        const server = await configuredServer(opts.config);
        // The public URL the Releases name (Snapshots:) is the one clients should use too.
        const publicUrl = async (): Promise<string | undefined> => configuredPublicUrl(server) ?? (await requirePublish(ctx, o.prefix, dist[0] ?? '')).publicUrl;
        const url = o.url ?? (await publicUrl()) ?? (await configuredUrl(server.listen, opts));
        const text = await clientConfig(ctx, dist, { url, ...(o.prefix !== undefined ? { prefix: o.prefix } : {}), ...(o.keyPath !== undefined ? { keyPath: o.keyPath } : {}) });
        if (opts.json) emit(opts, '', { sources: text });
        else process.stdout.write(text);
      }),
    );
}
