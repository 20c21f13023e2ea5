import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { UI_CSP } from '../../src/server/web-ui.js';
import { apiFixture, type ApiFixture } from './api/api-fixture.js';
import { rawGet } from './raw-get.js';

/** A stand-in build: the server's part does not depend on what the bundle contains. */
async function fakeBuild(dir: string): Promise<void> {
  await mkdir(join(dir, 'assets'), { recursive: true });
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>debstash</title><script type="module" src="/ui/assets/index-Ab12_cD3.js"></script>');
  await writeFile(join(dir, 'assets', 'index-Ab12_cD3.js'), 'export {};\n');
  await writeFile(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
}

describe('web UI routes (issue 15)', () => {
  let dir: string;
  let built: ApiFixture;
  let unbuilt: ApiFixture;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'debstash-webui-'));
    await fakeBuild(join(dir, 'ui'));
    built = await apiFixture({ uiDir: join(dir, 'ui') });
    unbuilt = await apiFixture({ uiDir: join(dir, 'nothing-here') });
  });

  after(async () => {
    await built.close();
    await unbuilt.close();
    await rm(dir, { recursive: true, force: true });
  });

  const get = (f: ApiFixture, path: string, method = 'GET'): Promise<Response> => fetch(`${f.server.url}${path}`, { method, redirect: 'manual' });

  test('/ and /ui redirect to /ui/', async () => {
    for (const path of ['/', '/ui']) {
      const res = await get(built, path);
      assert.equal(res.status, 302, path);
      assert.equal(res.headers.get('location'), '/ui/');
    }
  });

  test('the app and every page path answer index.html under a strict CSP, revalidated', async () => {
    for (const path of ['/ui/', '/ui/search', '/ui/packages/app/1.0-1/amd64', '/ui/diff?a=s1&b=s2']) {
      const res = await get(built, path);
      assert.equal(res.status, 200, path);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
      assert.equal(res.headers.get('cache-control'), 'no-cache');
      assert.equal(res.headers.get('content-security-policy'), UI_CSP);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.match(await res.text(), /<title>debstash<\/title>/);
    }
    assert.doesNotMatch(UI_CSP, /unsafe-inline|unsafe-eval|\*/);
    assert.match(UI_CSP, /default-src 'none'/);
    assert.match(UI_CSP, /frame-ancestors 'none'/);
  });

  test('hashed assets are immutable; a missing one is 404, not the page', async () => {
    const res = await get(built, '/ui/assets/index-Ab12_cD3.js');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.match(res.headers.get('content-type') ?? '', /^text\/javascript/);
    const head = await get(built, '/ui/assets/index-Ab12_cD3.js', 'HEAD');
    assert.equal(head.status, 200);
    assert.equal((await get(built, '/ui/assets/index-gone0000.js')).status, 404);
    const icon = await get(built, '/ui/favicon.svg');
    assert.equal(icon.status, 200);
    assert.equal(icon.headers.get('cache-control'), 'no-cache');
  });

  test('paths that try to leave the build are refused, never a file or the page', async () => {
    for (const path of ['/ui/../package.json', '/ui/assets/../index.html', '/ui/%2e%2e/package.json', '/ui/assets/%2e%2e/x.js', '/ui/.hidden', '/ui/a%5cb', '/ui/%zz', '/ui/assets/a/b.js']) {
      // Raw: fetch would resolve the dot segments before sending.
      const res = await rawGet(built.server.url, path);
      assert.ok(res.status === 400 || res.status === 404, `${path}: ${res.status}`);
      assert.doesNotMatch(res.body, /"name": "debstash"|<title>/, path);
    }
  });

  test('the API and the tree keep their paths', async () => {
    assert.equal((await get(built, '/api/mirrors')).status, 200);
    assert.equal((await get(built, '/healthz')).status, 200);
    assert.equal((await get(built, '/dists/none/InRelease')).status, 404);
    assert.equal((await fetch(`${built.server.url}/ui/`, { method: 'POST' })).status, 405);
  });

  test('without a build the UI answers 503 DEBSTASH_E_UI_NOT_BUILT; the rest still works', async () => {
    const res = await get(unbuilt, '/ui/');
    assert.equal(res.status, 503);
    assert.match(await res.text(), /^DEBSTASH_E_UI_NOT_BUILT: the web UI is not built/);
    assert.equal((await get(unbuilt, '/')).status, 302);
    assert.equal((await get(unbuilt, '/healthz')).status, 200);
  });

  test('a publish prefix the server answers itself is refused', async () => {
    assert.equal((await built.call('POST', '/api/repos', { token: 'write', json: { name: 'r' } })).status, 201);
    for (const prefix of ['ui', 'api', 'client', 'ui/x']) {
      const r = await built.call('POST', '/api/publish', { token: 'write', json: { source: { kind: 'repo', name: 'r' }, dist: 'd', prefix, architectures: ['amd64'] } });
      const code = r.json.error?.code ?? r.json.task?.error?.code;
      const task = r.json.task;
      const final = task ? await built.waitTask(task.id) : undefined;
      assert.equal(code ?? final?.error?.code, 'DEBSTASH_E_PUBLISH_NAME_INVALID', `${prefix}: ${r.text}`);
    }
  });
});
