import { DebstashError } from '../errors/debstash-error.js';
import type { PublishRecord } from '../store/records.js';
import type { StoreReader } from '../store/store.js';
import type { Context } from './context.js';

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

/** DEBSTASH_E_IN_USE when a publish shows `source`; called in the transaction that drops it. */
export async function refuseIfPublished(tx: StoreReader, source: PublishRecord['source']): Promise<void> {
  const users = (await tx.listPublishes()).filter((p) => p.source.kind === source.kind && p.source.name === source.name);
  if (users.length > 0) {
    throw new DebstashError('DEBSTASH_E_IN_USE', `${source.kind} "${source.name}" is published at ${users.map((p) => `${p.prefix || '/'} ${p.dist}`).join(', ')}`, { [source.kind]: source.name });
  }
}
