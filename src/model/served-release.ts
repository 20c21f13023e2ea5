import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Context } from './context.js';

/**
 * Whether the publish at (prefix, dist) is served: its signed InRelease is where the server
 * answers it from, the data dir's `public/` or, with S3 storage, the bucket (so a replica on an
 * empty data dir is ready once any replica published).
 */
export async function servesInRelease(ctx: Context, prefix: string, dist: string): Promise<boolean> {
  const path = `${prefix === '' ? '' : `${prefix}/`}dists/${dist}/InRelease`;
  const objects = ctx.pool.publicObjects?.();
  if (objects !== undefined) return objects.exists(path);
  return stat(join(ctx.publicDir, path)).then((st) => st.isFile(), () => false);
}
