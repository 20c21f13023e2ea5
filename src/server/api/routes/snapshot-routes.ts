import { z } from 'zod';
import { createSnapshot, diffSnapshots, dropSnapshot, filterSnapshot, mergeSnapshots, pullIntoSnapshot, requireSnapshot, verifySnapshot } from '../../../model/snapshot-ops.js';
import { ok, route, type ApiRoute } from '../api-route.js';
import { dropRoute, showRoute } from './collection-routes.js';

const CreateSnapshot = z.union([z.strictObject({ name: z.string(), fromMirror: z.string() }), z.strictObject({ name: z.string(), fromRepo: z.string() })]);
const MergeSnapshots = z.strictObject({ dest: z.string(), sources: z.array(z.string()).min(1), latest: z.boolean().optional() });
const FilterSnapshot = z.strictObject({ src: z.string(), dest: z.string(), query: z.string(), withDeps: z.boolean().optional() });
const PullIntoSnapshot = z.strictObject({ base: z.string(), src: z.string(), dest: z.string(), query: z.string(), withDeps: z.boolean().optional() });

/** The snapshot routes: what `debstash snapshot ...` does. New snapshots answer 201. */
export const SNAPSHOT_ROUTES: readonly ApiRoute[] = [
  route({
    method: 'GET',
    path: '/api/snapshots',
    scope: 'read',
    tag: 'snapshots',
    summary: 'List snapshots, oldest first',
    handler: async ({ services }) => ok(await services.ctx.store.listSnapshots()),
  }),
  route({
    method: 'POST',
    path: '/api/snapshots',
    scope: 'write',
    tag: 'snapshots',
    summary: 'Freeze what a mirror or repo holds now ({name, fromMirror} or {name, fromRepo})',
    body: CreateSnapshot,
    status: 201,
    handler: async ({ body, services }) => {
      const from = 'fromMirror' in body ? { mirror: body.fromMirror } : { repo: body.fromRepo };
      return ok(await createSnapshot(services.ctx, body.name, from), 201);
    },
  }),
  route({
    method: 'POST',
    path: '/api/snapshots/merge',
    scope: 'write',
    tag: 'snapshots',
    summary: 'A new snapshot with the packages of all sources',
    body: MergeSnapshots,
    status: 201,
    handler: async ({ body, services }) => ok(await mergeSnapshots(services.ctx, body.dest, body.sources, { latest: body.latest === true }), 201),
  }),
  route({
    method: 'POST',
    path: '/api/snapshots/filter',
    scope: 'write',
    tag: 'snapshots',
    summary: 'A new snapshot with the packages of src that match query',
    body: FilterSnapshot,
    status: 201,
    handler: async ({ body, services }) =>
      ok(await filterSnapshot(services.ctx, body.src, body.dest, body.query, { withDeps: body.withDeps === true }), 201),
  }),
  route({
    method: 'POST',
    path: '/api/snapshots/pull',
    scope: 'write',
    tag: 'snapshots',
    summary: 'A new snapshot dest: base with the packages of src matching query replacing their older versions',
    body: PullIntoSnapshot,
    status: 201,
    handler: async ({ body, services }) =>
      ok(await pullIntoSnapshot(services.ctx, body.base, body.src, body.dest, body.query, { withDeps: body.withDeps === true }), 201),
  }),
  showRoute('snapshots', 'A snapshot and its packages', requireSnapshot, (ctx, name) => ctx.store.snapshotPackages(name)),
  route({
    method: 'GET',
    path: '/api/snapshots/{name}/diff/{other}',
    scope: 'read',
    tag: 'snapshots',
    summary: 'What changes from snapshot name to snapshot other: added, removed, upgraded, downgraded, with package sizes in bytes',
    handler: async ({ params, services }) => ok(await diffSnapshots(services.ctx, params.name ?? '', params.other ?? '')),
  }),
  route({
    method: 'GET',
    path: '/api/snapshots/{name}/verify',
    scope: 'read',
    tag: 'snapshots',
    summary: 'Dependencies the snapshot cannot satisfy by itself',
    handler: async ({ params, services }) => ok({ name: params.name, unresolved: await verifySnapshot(services.ctx, params.name ?? '') }),
  }),
  dropRoute('snapshots', 'Drop a snapshot (refused while published)', dropSnapshot),
];
