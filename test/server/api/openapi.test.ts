import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { API_ROUTES } from '../../../src/server/api/route-table.js';
import { type ApiFixture, apiFixture } from './api-fixture.js';

interface Operation {
  readonly requestBody?: { readonly content: Readonly<Record<string, { readonly schema?: { readonly required?: readonly string[] } }>> };
  readonly security?: readonly unknown[];
  readonly 'x-debstash-scope'?: string;
}

interface OpenApi {
  readonly openapi: string;
  readonly paths: Readonly<Record<string, Readonly<Record<string, Operation>>>>;
}

describe('REST API: /api/openapi.json', () => {
  let fx: ApiFixture;
  let doc: OpenApi;
  before(async () => {
    fx = await apiFixture();
    const r = await fx.call<OpenApi>('GET', '/api/openapi.json');
    assert.equal(r.status, 200);
    doc = r.json;
  });
  after(() => fx.close());

  test('every route of the route table is in the document, with its scope, and nothing else is', () => {
    assert.equal(doc.openapi, '3.1.0');
    for (const r of API_ROUTES) {
      const op = doc.paths[r.path]?.[r.method.toLowerCase()];
      assert.ok(op, `${r.method} ${r.path} is documented`);
      if (r.scope === 'public') assert.deepEqual(op.security, []);
      else assert.equal(op['x-debstash-scope'], r.scope);
    }
    const documented = Object.values(doc.paths).reduce((n, methods) => n + Object.keys(methods).length, 0);
    assert.equal(documented, API_ROUTES.length);
    const createRepo = doc.paths['/api/repos']?.post?.requestBody?.content['application/json']?.schema;
    assert.deepEqual(createRepo?.required, ['name']);
    assert.ok(doc.paths['/api/repos/{name}/packages']?.put?.requestBody?.content['multipart/form-data']);
  });

  test('every documented route answers: never "no such route" or "wrong method"', async () => {
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const concrete = path.replace(/\{[^}]+\}/g, 'probe');
        const json = op.requestBody?.content['application/json'] !== undefined ? {} : undefined;
        const r = await fx.call(method.toUpperCase(), concrete, { token: 'admin', ...(json !== undefined ? { json } : {}) });
        assert.notEqual(r.status, 405, `${method} ${path}`);
        assert.notEqual(r.json?.error?.code, 'DEBSTASH_E_ROUTE_NOT_FOUND', `${method} ${path}`);
        assert.ok(r.status < 500, `${method} ${path}: ${r.text}`);
      }
    }
  });

  test('an unknown path is 404 DEBSTASH_E_ROUTE_NOT_FOUND; a known one with another method 405 with Allow', async () => {
    const none = await fx.call('GET', '/api/nothing-here', { token: 'admin' });
    assert.equal(none.status, 404);
    assert.equal(none.json.error?.code, 'DEBSTASH_E_ROUTE_NOT_FOUND');
    const wrong = await fx.call('PATCH', '/api/repos', { token: 'admin' });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.json.error?.code, 'DEBSTASH_E_METHOD_NOT_ALLOWED');
    assert.equal(wrong.headers.get('allow'), 'GET, POST');
    const head = await fetch(`${fx.server.url}/api/openapi.json`, { method: 'HEAD' });
    assert.equal(head.status, 200);
  });
});
