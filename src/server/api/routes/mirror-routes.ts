import { z } from 'zod';
import { hostArchitecture, hostKeyringsFor } from '../../../model/host-defaults.js';
import { createMirror, dropMirror, requireMirror, showMirror } from '../../../model/mirror-admin.js';
import { updateMirror } from '../../../model/mirror-update.js';
import { accepted, ok, route, type ApiRoute } from '../api-route.js';
import { dropRoute } from './collection-routes.js';

const names = z.array(z.string().min(1));

const CreateMirror = z.strictObject({
  name: z.string(),
  url: z.string().min(1),
  dist: z.string().min(1),
  components: names.optional(),
  architectures: names.optional(),
  filter: z.string().optional(),
  withDeps: z.boolean().optional(),
  withRecommends: z.boolean().optional(),
  withSources: z.boolean().optional(),
  withUdebs: z.boolean().optional(),
  keyrings: names.optional(),
  depsFrom: names.optional(),
  policy: z.enum(['immediate', 'on-demand', 'cache-on-serve']).optional(),
});

const UpdateMirror = z.strictObject({
  dryRun: z.boolean().optional(),
  force: z.boolean().optional(),
  strictDeps: z.boolean().optional(),
  strictFilter: z.boolean().optional(),
  concurrency: z.int().min(1).max(64).optional(),
});

/** The mirror routes: what `debstash mirror create|update|list|show|drop` do. */
export const MIRROR_ROUTES: readonly ApiRoute[] = [
  route({
    method: 'GET',
    path: '/api/mirrors',
    scope: 'read',
    tag: 'mirrors',
    summary: 'List mirrors',
    handler: async ({ services }) => ok(await services.ctx.store.listMirrors()),
  }),
  route({
    method: 'POST',
    path: '/api/mirrors',
    scope: 'write',
    tag: 'mirrors',
    summary: 'Create a mirror (nothing is downloaded until it is updated)',
    body: CreateMirror,
    status: 201,
    handler: async ({ body: { name, ...input }, services }) =>
      ok(await createMirror(services.ctx, name, input, { architectures: [hostArchitecture()], keyrings: await hostKeyringsFor(input.url) }), 201),
  }),
  route({
    method: 'GET',
    path: '/api/mirrors/{name}',
    scope: 'read',
    tag: 'mirrors',
    summary: 'A mirror, its packages and its unresolved dependencies',
    handler: async ({ params, services }) => ok(await showMirror(services.ctx, params.name ?? '')),
  }),
  route({
    method: 'POST',
    path: '/api/mirrors/{name}/update',
    scope: 'write',
    tag: 'mirrors',
    summary: 'Update a mirror from its upstream (a task)',
    body: UpdateMirror,
    task: true,
    handler: async ({ params, body, services }) => {
      const name = params.name ?? '';
      await requireMirror(services.ctx, name);
      return accepted(
        await services.tasks.start({
          kind: 'mirror-update',
          resources: [`mirror:${name}`],
          run: ({ signal, progress }) => updateMirror(services.ctx, name, { ...body, signal, progress }),
        }),
      );
    },
  }),
  dropRoute('mirrors', 'Drop a mirror (its files stay in the pool until "db cleanup")', dropMirror),
];
