import type { Context } from '../../../model/context.js';
import { packageSummary } from '../../../model/mirror-admin.js';
import type { PackageEntry } from '../../../store/records.js';
import { ok, route, type ApiRoute } from '../api-route.js';

type Collection = 'mirrors' | 'repos' | 'snapshots';

/**
 * `DELETE /api/{collection}/{name}`: drops a mirror, repo or snapshot (the operation checks
 * what uses it and takes its store lock: DEBSTASH_E_BUSY while it is updated or published).
 * Needs admin, as every whole-resource drop.
 */
export function dropRoute(collection: Collection, summary: string, drop: (ctx: Context, name: string) => Promise<void>): ApiRoute {
  return route({
    method: 'DELETE',
    path: `/api/${collection}/{name}`,
    scope: 'admin',
    tag: collection,
    summary,
    handler: async ({ params, services }) => {
      const name = params.name ?? '';
      await drop(services.ctx, name);
      return ok({ dropped: name });
    },
  });
}

/** `GET /api/{collection}/{name}`: the record and its packages, as `repo|snapshot show --json`. */
export function showRoute<R extends { readonly name: string }>(collection: Collection, summary: string, find: (ctx: Context, name: string) => Promise<R>, packages: (ctx: Context, name: string) => Promise<PackageEntry[]>): ApiRoute {
  return route({
    method: 'GET',
    path: `/api/${collection}/{name}`,
    scope: 'read',
    tag: collection,
    summary,
    handler: async ({ params, services }) => {
      const record = await find(services.ctx, params.name ?? '');
      return ok({ ...record, packages: (await packages(services.ctx, record.name)).map(packageSummary) });
    },
  });
}
