import { DebstashError } from '../errors/debstash-error.js';
import type { PublishRecord } from '../store/records.js';
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
