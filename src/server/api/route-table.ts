import { readFileSync } from 'node:fs';
import { ok, route, type ApiRoute } from './api-route.js';
import { openApiDocument } from './openapi-document.js';
import { MIRROR_ROUTES } from './routes/mirror-routes.js';
import { PACKAGE_AND_KEY_ROUTES } from './routes/package-routes.js';
import { PUBLISH_ROUTES } from './routes/publish-routes.js';
import { REPO_ROUTES } from './routes/repo-routes.js';
import { SNAPSHOT_ROUTES } from './routes/snapshot-routes.js';
import { TASK_ROUTES } from './routes/task-routes.js';

const RESOURCE_ROUTES: readonly ApiRoute[] = [...MIRROR_ROUTES, ...REPO_ROUTES, ...SNAPSHOT_ROUTES, ...PUBLISH_ROUTES, ...PACKAGE_AND_KEY_ROUTES, ...TASK_ROUTES];

let openApi: object | undefined;

const OPENAPI_ROUTE = route({
  method: 'GET',
  path: '/api/openapi.json',
  scope: 'public',
  tag: 'meta',
  summary: 'This document: the OpenAPI 3.1 description of every route',
  handler: async () => {
    openApi ??= openApiDocument(API_ROUTES, (JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { version: string }).version);
    return ok(openApi);
  },
});

/** Every route of the REST API: the router, the auth check and the OpenAPI document read this one table. */
export const API_ROUTES: readonly ApiRoute[] = [OPENAPI_ROUTE, ...RESOURCE_ROUTES];
