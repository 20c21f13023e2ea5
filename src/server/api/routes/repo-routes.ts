import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { DebstashError } from '../../../errors/debstash-error.js';
import { packageSummary } from '../../../model/mirror-admin.js';
import { addToRepo, createRepo, dropRepo, removeFromRepo, requireRepo } from '../../../model/repo-ops.js';
import { ok, route, type ApiRoute } from '../api-route.js';
import { receivePackages } from '../receive-upload.js';
import { dropRoute, showRoute } from './collection-routes.js';

const CreateRepo = z.strictObject({ name: z.string(), comment: z.string().optional() });

function flag(query: URLSearchParams, name: string): boolean {
  const v = query.get(name);
  if (v === null || v === 'false' || v === '0') return false;
  if (v === '' || v === 'true' || v === '1') return true;
  throw new DebstashError('DEBSTASH_E_USAGE', `query.${name} must be true or false, not ${JSON.stringify(v)}`, { field: `query.${name}` });
}

const UPLOAD_QUERY = [
  { name: 'component', description: 'component to file the packages under (default main)' },
  { name: 'forceReplace', description: 'true: replace a different file with the same name, version and architecture' },
  { name: 'filename', description: 'file name of a raw upload (default: NAME_VERSION_ARCH.deb from its control file)' },
];

/**
 * Upload: the body goes to files under the data dir's tmp/ (same file system as the pool),
 * then into the repo as `repo add` would add them; the files are removed either way.
 */
const upload = (method: 'PUT' | 'POST'): ApiRoute =>
  route({
    method,
    path: '/api/repos/{name}/packages',
    scope: 'write',
    tag: 'repos',
    summary: `Add packages: a raw .deb body (application/vnd.debian.binary-package) or multipart/form-data file parts${method === 'PUT' ? ' (same as POST)' : ''}`,
    query: UPLOAD_QUERY,
    upload: true,
    handler: async ({ req, params, query, services }) => {
      const name = params.name ?? '';
      const { ctx } = services;
      await requireRepo(ctx, name);
      const dir = join(ctx.dataDir, 'tmp', 'uploads', randomUUID());
      try {
        const files = await receivePackages(req, dir, services.uploadLimitBytes, query.get('filename') ?? undefined);
        const component = query.get('component') ?? undefined;
        const r = await addToRepo(ctx, name, files, { forceReplace: flag(query, 'forceReplace'), ...(component ? { component } : {}) });
        return ok({ added: r.added.map(packageSummary), unchanged: r.unchanged.map(packageSummary), replaced: r.replaced.map(packageSummary) }, r.added.length > 0 ? 201 : 200);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  });

/** The repo routes: what `debstash repo create|add|remove|list|show|drop` do. */
export const REPO_ROUTES: readonly ApiRoute[] = [
  route({
    method: 'GET',
    path: '/api/repos',
    scope: 'read',
    tag: 'repos',
    summary: 'List local repos',
    handler: async ({ services }) => ok(await services.ctx.store.listRepos()),
  }),
  route({
    method: 'POST',
    path: '/api/repos',
    scope: 'write',
    tag: 'repos',
    summary: 'Create an empty local repo',
    body: CreateRepo,
    status: 201,
    handler: async ({ body, services }) => ok(await createRepo(services.ctx, body.name, body.comment ?? ''), 201),
  }),
  showRoute('repos', 'A local repo and its packages', requireRepo, (ctx, name) => ctx.store.repoPackages(name)),
  upload('POST'),
  upload('PUT'),
  route({
    method: 'DELETE',
    path: '/api/repos/{name}/packages',
    scope: 'write',
    tag: 'repos',
    summary: 'Remove the packages matching a query',
    query: [{ name: 'q', description: 'packages to remove (aptly filter grammar)', required: true }],
    handler: async ({ params, query, services }) => {
      const name = params.name ?? '';
      const q = query.get('q');
      if (q === null || q.trim() === '') throw new DebstashError('DEBSTASH_E_USAGE', 'query.q: give the query of the packages to remove', { field: 'query.q' });
      const gone = await removeFromRepo(services.ctx, name, q);
      return ok({ removed: gone.map(packageSummary) });
    },
  }),
  dropRoute('repos', 'Drop a local repo (refused while published)', dropRepo),
];
