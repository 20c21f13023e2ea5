import { DebstashError } from '../errors/debstash-error.js';
import type { PublishRecord } from '../store/records.js';
import type { Context } from './context.js';
import { lockKey } from './store-locks.js';

/** Prefixes are stored without leading or trailing slashes; '' is the root. */
export function normalizePrefix(prefix: string | undefined): string {
  return (prefix ?? '').replace(/^\/+|\/+$/g, '');
}

export async function requirePublish(ctx: Context, prefix: string | undefined, dist: string): Promise<PublishRecord> {
  const p = await ctx.store.getPublish(normalizePrefix(prefix), dist);
  if (p === undefined) {
    throw new DebstashError('DEBSTASH_E_PUBLISH_NOT_FOUND', `nothing is published at ${normalizePrefix(prefix) || '/'} ${dist}`, { prefix: normalizePrefix(prefix), dist });
  }
  return p;
}

/**
 * Drops a repo or snapshot unless a publish shows it. Checked in the dropping transaction, and
 * under the source's store lock, which a publish of it holds from reading the source to saving
 * its record: so no publish can end up pointing at a dropped repo or snapshot. A publish in
 * progress makes the drop fail fast (DEBSTASH_E_BUSY).
 */
export async function dropUnpublished(ctx: Context, source: PublishRecord['source']): Promise<void> {
  const { kind, name } = source;
  await ctx.locks.with(
    [lockKey.source(source)],
    () =>
      ctx.store.transaction(async (tx) => {
        const exists = kind === 'repo' ? (await tx.getRepo(name)) !== undefined : (await tx.getSnapshot(name)) !== undefined;
        if (!exists) throw new DebstashError(kind === 'repo' ? 'DEBSTASH_E_REPO_NOT_FOUND' : 'DEBSTASH_E_SNAPSHOT_NOT_FOUND', `no ${kind} named "${name}"`, { [kind]: name });
        const users = (await tx.listPublishes()).filter((p) => p.source.kind === kind && p.source.name === name);
        if (users.length > 0) {
          throw new DebstashError('DEBSTASH_E_IN_USE', `${kind} "${name}" is published at ${users.map((p) => `${p.prefix || '/'} ${p.dist}`).join(', ')}`, { [kind]: name });
        }
        await (kind === 'repo' ? tx.dropRepo(name) : tx.dropSnapshot(name));
      }),
    { mode: 'fail', what: `drop ${kind} "${name}"` },
  );
}
