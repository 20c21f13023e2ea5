import { DebstashError } from '../../../errors/debstash-error.js';
import { exportPublicKey, listKeys } from '../../../keys/key-store.js';
import { searchPackages } from '../../../model/package-search.js';
import { ok, route, type ApiRoute } from '../api-route.js';

/** Package search (what `debstash package search|show` do) and the public signing keys. */
export const PACKAGE_AND_KEY_ROUTES: readonly ApiRoute[] = [
  route({
    method: 'GET',
    path: '/api/packages',
    scope: 'read',
    tag: 'packages',
    summary: 'Packages matching a query across mirrors, repos and snapshots, with where they are',
    query: [{ name: 'q', description: 'aptly filter grammar, e.g. "nginx | Priority (required)"', required: true }],
    handler: async ({ query, services }) => {
      const q = query.get('q');
      if (q === null || q.trim() === '') throw new DebstashError('DEBSTASH_E_USAGE', 'query.q: give a package query', { field: 'query.q' });
      return ok(await searchPackages(services.ctx, q));
    },
  }),
  route({
    method: 'GET',
    path: '/api/keys',
    scope: 'read',
    tag: 'keys',
    summary: 'List the signing keys (public information only)',
    handler: async ({ services }) => ok(await listKeys(services.ctx.store)),
  }),
  route({
    method: 'GET',
    path: '/api/keys/{keyId}',
    scope: 'read',
    tag: 'keys',
    summary: 'Export a public key, armored ("default" for the default key); secret keys never leave the server',
    handler: async ({ params, services }) => {
      const keyId = params.keyId === 'default' ? undefined : params.keyId;
      const { fingerprint, armored } = await exportPublicKey(services.ctx.store, keyId);
      return ok({ fingerprint, publicKey: armored });
    },
  }),
];
