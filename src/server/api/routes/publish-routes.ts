import { z } from 'zod';
import { resolvePassphrase } from '../../../keys/passphrase.js';
import type { ProgressSink } from '../../../model/progress.js';
import { dropPublish, publish, switchPublish, updatePublish } from '../../../model/publish-ops.js';
import { normalizePrefix, requirePublish } from '../../../model/require-publish.js';
import { lockKey } from '../../../model/store-locks.js';
import type { PublishRecord } from '../../../store/records.js';
import { accepted, ok, route, type ApiRoute, type ApiServices } from '../api-route.js';

const Publish = z.strictObject({
  source: z.strictObject({ kind: z.enum(['snapshot', 'repo']), name: z.string().min(1) }),
  dist: z.string().min(1),
  prefix: z.string().optional(),
  component: z.string().min(1).optional(),
  key: z.string().min(1).optional(),
  origin: z.string().optional(),
  label: z.string().optional(),
  architectures: z.array(z.string().min(1)).optional(),
  contents: z.boolean().optional(),
  md5: z.boolean().optional(),
  publicUrl: z.string().min(1).optional(),
  keepGenerations: z.number().int().min(1).max(100).optional(),
});

const Switch = z.strictObject({ snapshot: z.string().min(1), publicUrl: z.string().min(1).optional(), keepGenerations: z.number().int().min(1).max(100).optional() });

const PREFIX_QUERY = [{ name: 'prefix', description: 'the prefix of the publish (default: the root)' }];

/** What a publish task works on (its locks are taken by the model operation). */
const publishKey = (prefix: string | undefined, dist: string): string => lockKey.publish(normalizePrefix(prefix), dist);

/** The signing key's passphrase comes from the server's environment, as for the CLI. */
async function passphraseOption(): Promise<{ passphrase?: string }> {
  const passphrase = await resolvePassphrase({});
  return passphrase !== undefined ? { passphrase } : {};
}

function phase(progress: ProgressSink, message: string): void {
  progress({ type: 'phase', phase: 'publish', message });
}

/** Runs a publish step as a task (the operation takes the locks of the publish and of what it shows). */
async function publishTask(services: ApiServices, kind: string, resources: string[], run: (signal: AbortSignal, progress: ProgressSink) => Promise<PublishRecord>) {
  return accepted(await services.tasks.start({ kind, resources, run: ({ signal, progress }) => run(signal, progress) }));
}

/** The publish routes: what `debstash publish ...` does; writing a tree is a task. */
export const PUBLISH_ROUTES: readonly ApiRoute[] = [
  route({
    method: 'GET',
    path: '/api/publish',
    scope: 'read',
    tag: 'publish',
    summary: 'List publishes',
    handler: async ({ services }) => ok(await services.ctx.store.listPublishes()),
  }),
  route({
    method: 'POST',
    path: '/api/publish',
    scope: 'write',
    tag: 'publish',
    summary: 'Publish a snapshot or repo at prefix/dists/dist, signed (a task)',
    body: Publish,
    task: true,
    handler: async ({ body, services }) => {
      const { source, key, ...options } = body;
      return publishTask(services, 'publish', [publishKey(body.prefix, body.dist), lockKey.source(source)], async (signal, progress) => {
        phase(progress, `publishing ${source.kind} ${source.name} at ${normalizePrefix(body.prefix) || '/'} ${body.dist}`);
        return publish(services.ctx, source, { ...options, ...(key !== undefined ? { keyFingerprint: key } : {}), ...(await passphraseOption()), signal });
      });
    },
  }),
  route({
    method: 'GET',
    path: '/api/publish/{dist}',
    scope: 'read',
    tag: 'publish',
    summary: 'One publish',
    query: PREFIX_QUERY,
    handler: async ({ params, query, services }) => ok(await requirePublish(services.ctx, query.get('prefix') ?? undefined, params.dist ?? '')),
  }),
  route({
    method: 'POST',
    path: '/api/publish/{dist}/switch',
    scope: 'write',
    tag: 'publish',
    summary: 'Make a publish show another snapshot, atomically for clients (a task)',
    query: PREFIX_QUERY,
    body: Switch,
    task: true,
    handler: async ({ params, query, body, services }) => {
      const dist = params.dist ?? '';
      const prefix = query.get('prefix') ?? undefined;
      return publishTask(services, 'publish-switch', [publishKey(prefix, dist), lockKey.source({ kind: 'snapshot', name: body.snapshot })], async (signal, progress) => {
        phase(progress, `switching ${normalizePrefix(prefix) || '/'} ${dist} to snapshot ${body.snapshot}`);
        return switchPublish(services.ctx, dist, body.snapshot, { ...(prefix !== undefined ? { prefix } : {}), ...(body.publicUrl !== undefined ? { publicUrl: body.publicUrl } : {}), ...(body.keepGenerations !== undefined ? { keepGenerations: body.keepGenerations } : {}), ...(await passphraseOption()), signal });
      });
    },
  }),
  route({
    method: 'POST',
    path: '/api/publish/{dist}/update',
    scope: 'write',
    tag: 'publish',
    summary: "Republish a repo's current contents (a task)",
    query: PREFIX_QUERY,
    task: true,
    handler: async ({ params, query, services }) => {
      const dist = params.dist ?? '';
      const prefix = query.get('prefix') ?? undefined;
      const current = await requirePublish(services.ctx, prefix, dist);
      return publishTask(services, 'publish-update', [publishKey(prefix, dist), lockKey.source(current.source)], async (signal, progress) => {
        phase(progress, `republishing ${normalizePrefix(prefix) || '/'} ${dist}`);
        return updatePublish(services.ctx, dist, { ...(prefix !== undefined ? { prefix } : {}), ...(await passphraseOption()), signal });
      });
    },
  }),
  route({
    method: 'DELETE',
    path: '/api/publish/{dist}',
    scope: 'admin',
    tag: 'publish',
    summary: 'Remove a publish (its snapshot stays)',
    query: PREFIX_QUERY,
    handler: async ({ params, query, services }) => {
      const dist = params.dist ?? '';
      const prefix = query.get('prefix') ?? undefined;
      await dropPublish(services.ctx, dist, prefix !== undefined ? { prefix } : {});
      return ok({ dropped: { prefix: normalizePrefix(prefix), dist } });
    },
  }),
];
