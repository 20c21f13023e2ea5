import { z } from 'zod';
import { ERROR_CODES } from '../../errors/codes.js';
import type { ApiRoute } from './api-route.js';
import { PACKAGE_MEDIA_TYPES } from './receive-upload.js';

const ERROR_SCHEMA = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'hint', 'details'],
      properties: {
        code: { type: 'string', enum: Object.keys(ERROR_CODES) },
        message: { type: 'string' },
        hint: { type: 'string' },
        details: { type: 'object' },
      },
    },
  },
} as const;

const errorResponse = (description: string): object => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });

function operation(r: ApiRoute): object {
  const params = [...r.path.matchAll(/\{([^}]+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
  const query = (r.query ?? []).map((q) => ({ name: q.name, in: 'query', required: q.required === true, description: q.description, schema: { type: 'string' } }));
  const upload = {
    required: true,
    content: {
      ...Object.fromEntries(PACKAGE_MEDIA_TYPES.map((t) => [t, { schema: { type: 'string', format: 'binary' } }])),
      'multipart/form-data': { schema: { type: 'object', additionalProperties: { type: 'string', format: 'binary' } } },
    },
  };
  const status = String(r.task ? 202 : (r.status ?? 200));
  return {
    operationId: `${r.method.toLowerCase()}${r.path.replace(/^\/api/, '').replace(/\{([^}]+)\}/g, 'By-$1').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
    summary: r.summary,
    tags: [r.tag],
    ...(r.scope === 'public' ? { security: [] } : { 'x-debstash-scope': r.scope }),
    ...(params.length + query.length > 0 ? { parameters: [...params, ...query] } : {}),
    ...(r.body ? { requestBody: { required: false, content: { 'application/json': { schema: z.toJSONSchema(r.body, { io: 'input', unrepresentable: 'any' }) } } } } : {}),
    ...(r.upload ? { requestBody: upload } : {}),
    responses: {
      [status]: r.task
        ? { description: 'the task was queued; follow Location', headers: { Location: { schema: { type: 'string' } } }, content: { 'application/json': { schema: { $ref: '#/components/schemas/TaskAccepted' } } } }
        : { description: 'success', content: { [r.path.endsWith('/events') ? 'text/event-stream' : 'application/json']: {} } },
      ...(r.scope === 'public' ? {} : { 401: errorResponse('no token, or an unknown one'), 403: errorResponse(`the token's scope is below ${r.scope}`) }),
      default: errorResponse('a coded error'),
    },
  };
}

/** The OpenAPI 3.1 document of the route table (what `/api/openapi.json` serves). */
export function openApiDocument(routes: readonly ApiRoute[], version: string): object {
  const paths: Record<string, Record<string, object>> = {};
  for (const r of routes) (paths[r.path] ??= {})[r.method.toLowerCase()] = operation(r);
  return {
    openapi: '3.1.0',
    info: { title: 'debstash REST API', version, description: 'Mirrors, repos, snapshots, publishes, packages, keys and tasks; see docs/api.md.' },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'a token from "debstash token create"; scopes read < write < admin (x-debstash-scope)' } },
      schemas: {
        Error: ERROR_SCHEMA,
        TaskAccepted: { type: 'object', required: ['task'], properties: { task: { type: 'object', required: ['id', 'kind', 'state'], properties: { id: { type: 'string' }, kind: { type: 'string' }, state: { type: 'string', enum: ['queued', 'running', 'succeeded', 'failed', 'cancelled'] } } } } },
      },
    },
  };
}
