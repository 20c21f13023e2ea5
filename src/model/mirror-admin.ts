import { DebstashError } from '../errors/debstash-error.js';
import type { MirrorRecord, PackageEntry, UnresolvedDependency } from '../store/records.js';
import type { Context } from './context.js';
import type { MirrorConfig } from '../store/records.js';
import type { StoreReader } from '../store/store.js';
import { lockKey } from './store-locks.js';
import type { MirrorConfigInput } from './mirror-config.js';
import { normalizeMirrorConfig } from './normalize-mirror-config.js';
import { validateName } from './validate-name.js';

export interface MirrorDefaults {
  readonly architectures: readonly string[];
  readonly keyrings: readonly string[];
}

/** Inside the transaction that saves `config`, so a mirror it names cannot be dropped meanwhile. */
async function checkDepsFrom(tx: StoreReader, name: string, config: MirrorConfig): Promise<void> {
  for (const other of config.depsFrom) {
    if (other === name) throw new DebstashError('DEBSTASH_E_USAGE', `mirror "${name}" cannot take dependencies from itself`, { mirror: name });
    if ((await tx.getMirror(other)) === undefined) {
      throw new DebstashError('DEBSTASH_E_MIRROR_NOT_FOUND', `--deps-from names "${other}", which is not a mirror`, { mirror: other });
    }
  }
}

/**
 * A keyring that cannot be read or holds no key is refused when it is named, not at the first
 * update hours later (a cron job would be the first to hear of a typo).
 */
async function checkKeyrings(keyrings: readonly string[]): Promise<void> {
  if (keyrings.length === 0) return;
  await (await import('../upstream/keyring.js')).loadKeyring(keyrings);
}

export async function createMirror(ctx: Context, name: string, input: MirrorConfigInput, defaults: MirrorDefaults): Promise<MirrorRecord> {
  validateName('mirror', name);
  const config = normalizeMirrorConfig(input, defaults);
  await checkKeyrings(config.keyrings);
  await ctx.store.transaction(async (tx) => {
    await checkDepsFrom(tx, name, config);
    await tx.createMirror(name, config, new Date().toISOString());
  });
  return requireMirror(ctx, name);
}

/**
 * Changes some settings of a mirror; the next update applies them (even if upstream is
 * unchanged). Read, merge and write in one transaction: two edits of different settings at
 * once both stay.
 */
export async function editMirror(ctx: Context, name: string, changes: Partial<MirrorConfigInput>): Promise<MirrorRecord> {
  if (changes.keyrings !== undefined) await checkKeyrings(changes.keyrings);
  await ctx.store.transaction(async (tx) => {
    const current = await tx.getMirror(name);
    if (current === undefined) throw notFound(name);
    const config = normalizeMirrorConfig({ ...current.config, ...changes }, current.config);
    await checkDepsFrom(tx, name, config);
    await tx.setMirrorConfig(name, config);
  });
  return requireMirror(ctx, name);
}

/**
 * Drops a mirror unless another mirror takes dependencies from it (checked in the dropping
 * transaction). Fails fast with DEBSTASH_E_BUSY while any process updates it: waiting for an
 * update only to throw its work away is not what a drop means.
 */
export async function dropMirror(ctx: Context, name: string): Promise<void> {
  await ctx.locks.with(
    [lockKey.mirror(name)],
    () =>
      ctx.store.transaction(async (tx) => {
        const users = (await tx.listMirrors()).filter((m) => m.config.depsFrom.includes(name)).map((m) => m.name);
        if (users.length > 0) {
          throw new DebstashError('DEBSTASH_E_IN_USE', `mirror "${name}" is used by --deps-from of ${users.join(', ')}; edit those first`, { mirror: name });
        }
        await tx.dropMirror(name);
      }),
    { mode: 'fail', what: `drop mirror "${name}"` },
  );
}

const notFound = (name: string): DebstashError => new DebstashError('DEBSTASH_E_MIRROR_NOT_FOUND', `no mirror named "${name}"`, { mirror: name });

export async function requireMirror(ctx: Context, name: string): Promise<MirrorRecord> {
  const m = await ctx.store.getMirror(name);
  if (m === undefined) throw notFound(name);
  return m;
}

/** The `mirror show --json` document (a contract: see docs/architecture.md). */
export interface MirrorDetails {
  readonly name: string;
  readonly config: MirrorConfig;
  readonly createdAt: string;
  readonly updatedAt: string | null;
  readonly packages: readonly { name: string; version: string; architecture: string; filename: string; sha256: string; size: number }[];
  readonly unresolved: readonly UnresolvedDependency[];
}

export function packageSummary(p: PackageEntry): MirrorDetails['packages'][number] {
  const main = p.files[0];
  return { name: p.name, version: p.version, architecture: p.architecture, filename: main?.path ?? '', sha256: main?.sha256 ?? '', size: main?.size ?? 0 };
}

export async function showMirror(ctx: Context, name: string): Promise<MirrorDetails> {
  const m = await requireMirror(ctx, name);
  const [packages, unresolved] = await Promise.all([ctx.store.mirrorPackages(name), ctx.store.mirrorUnresolved(name)]);
  return {
    name: m.name,
    config: m.config,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt ?? null,
    packages: packages.map(packageSummary),
    unresolved,
  };
}
