import type { Context } from './context.js';

/**
 * The size the store records for each published pool file (from the pool view of every
 * publish's prefix). Other referenced files are checked by their hash alone: their sizes are
 * spread over package rows, and a wrong size is a wrong hash anyway.
 */
export async function expectedPoolSizes(ctx: Context): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  const prefixes = new Set((await ctx.store.listPublishes()).map((p) => p.prefix));
  for (const prefix of prefixes) for (const f of await ctx.store.poolView(prefix)) sizes.set(f.sha256, f.size);
  return sizes;
}
