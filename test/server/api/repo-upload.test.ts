import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { handleApi } from '../../../src/server/api/handle-api.js';
import { Metrics } from '../../../src/server/metrics.js';
import { buildDeb } from '../../helpers/build-deb.js';
import { type ApiFixture, apiFixture } from './api-fixture.js';

interface Summary {
  readonly name: string;
  readonly version: string;
  readonly filename: string;
}

/** A multipart/form-data body as curl -F would send it. */
function multipart(boundary: string, parts: readonly { name: string; filename?: string; content: Buffer | string }[]): Buffer {
  const pieces: Buffer[] = [];
  for (const p of parts) {
    const disposition = `form-data; name="${p.name}"${p.filename !== undefined ? `; filename="${p.filename}"` : ''}`;
    pieces.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\nContent-Type: application/octet-stream\r\n\r\n`), Buffer.from(p.content), Buffer.from('\r\n'));
  }
  pieces.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(pieces);
}

describe('REST API: repos and package uploads', () => {
  let fx: ApiFixture;
  let hello: Buffer;
  let world: Buffer;
  let tool: Buffer;
  before(async () => {
    fx = await apiFixture();
    const debs = join(fx.dir, 'debs');
    hello = await readFile(await buildDeb(debs, { name: 'hello', version: '1.0', architecture: 'amd64' }, { compression: 'gzip' }));
    world = await readFile(await buildDeb(debs, { name: 'world', version: '2:3.1-1', architecture: 'all' }, { compression: 'xz' }));
    tool = await readFile(await buildDeb(debs, { name: 'tool', version: '0.9', architecture: 'amd64', files: { 'usr/bin/tool': 'echo' } }, { compression: 'zstd' }));
    assert.equal((await fx.call('POST', '/api/repos', { token: 'write', json: { name: 'local', comment: 'ours' } })).status, 201);
  });
  after(() => fx.close());

  test('create, list and show a repo; a second create is 409', async () => {
    const again = await fx.call('POST', '/api/repos', { token: 'write', json: { name: 'local' } });
    assert.equal(again.status, 409);
    assert.equal(again.json.error?.code, 'DEBSTASH_E_REPO_EXISTS');
    const list = await fx.call<{ name: string; comment: string }[]>('GET', '/api/repos', { token: 'read' });
    assert.deepEqual(list.json.map((r) => [r.name, r.comment]), [['local', 'ours']]);
  });

  test('a raw .deb body is added under its dpkg name (epoch left out)', async () => {
    const r = await fx.call<{ added: Summary[] }>('PUT', '/api/repos/local/packages', { token: 'write', body: world, headers: { 'content-type': 'application/vnd.debian.binary-package' } });
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(r.json.added.map((p) => [p.name, p.version, p.filename]), [['world', '2:3.1-1', 'world_3.1-1_all.deb']]);
    const same = await fx.call<{ added: Summary[]; unchanged: Summary[] }>('POST', '/api/repos/local/packages?filename=custom_name.deb', { token: 'write', body: world, headers: { 'content-type': 'application/vnd.debian.binary-package' } });
    assert.equal(same.status, 200);
    assert.equal(same.json.unchanged.length, 1);
  });

  test('multipart/form-data: every file part is added, with the name the client gave', async () => {
    const boundary = '----debstash-test-boundary';
    const body = multipart(boundary, [
      { name: 'comment', content: 'not a file: ignored' },
      { name: 'unused-file-input', filename: '', content: '' },
      { name: 'file', filename: 'hello_1.0_amd64.deb', content: hello },
      { name: 'file', filename: 'some/dir/tool.deb', content: tool },
    ]);
    const r = await fx.call<{ added: Summary[] }>('POST', '/api/repos/local/packages', { token: 'write', body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } });
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(r.json.added.map((p) => p.filename).sort(), ['hello_1.0_amd64.deb', 'tool.deb']);
    const show = await fx.call<{ packages: Summary[] }>('GET', '/api/repos/local', { token: 'read' });
    assert.deepEqual(show.json.packages.map((p) => p.name), ['hello', 'tool', 'world']);
  });

  test('the same upload through fetch FormData (undici\'s own multipart encoder)', async () => {
    const form = new FormData();
    form.append('package', new Blob([hello]), 'hello_1.0_amd64.deb');
    const r = await fx.call<{ unchanged: Summary[] }>('POST', '/api/repos/local/packages', { token: 'write', body: form });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.unchanged.length, 1);
  });

  test('refused uploads: not a .deb, wrong media type, truncated multipart, no file, unknown repo', async () => {
    const cases: [string, string, NonNullable<RequestInit['body']>, Record<string, string>, number, string][] = [
      ['garbage', '/api/repos/local/packages', 'this is not an ar archive', { 'content-type': 'application/vnd.debian.binary-package' }, 400, 'DEBSTASH_E_DEB_INVALID'],
      ['truncated deb', '/api/repos/local/packages', hello.subarray(0, 300), { 'content-type': 'application/vnd.debian.binary-package' }, 400, 'DEBSTASH_E_DEB_TRUNCATED'],
      ['text/plain', '/api/repos/local/packages', hello, { 'content-type': 'text/plain' }, 415, 'DEBSTASH_E_MEDIA_TYPE'],
      ['unterminated multipart', '/api/repos/local/packages', Buffer.concat([Buffer.from('--b\r\nContent-Disposition: form-data; name="f"; filename="x.deb"\r\n\r\n'), hello]), { 'content-type': 'multipart/form-data; boundary=b' }, 400, 'DEBSTASH_E_USAGE'],
      ['multipart without a file', '/api/repos/local/packages', multipart('b', [{ name: 'x', content: 'y' }]), { 'content-type': 'multipart/form-data; boundary=b' }, 400, 'DEBSTASH_E_USAGE'],
      ['unknown repo', '/api/repos/nope/packages', hello, { 'content-type': 'application/vnd.debian.binary-package' }, 404, 'DEBSTASH_E_REPO_NOT_FOUND'],
    ];
    for (const [label, path, body, headers, status, code] of cases) {
      const r = await fx.call('POST', path, { token: 'write', body, headers });
      assert.equal(r.status, status, `${label}: ${r.text}`);
      assert.equal(r.json.error?.code, code, label);
    }
    const show = await fx.call<{ packages: Summary[] }>('GET', '/api/repos/local', { token: 'read' });
    assert.equal(show.json.packages.length, 3, 'nothing was added by the refused uploads');
  });

  test('JSON bodies are validated: the error names the field', async () => {
    const cases: [unknown, RegExp][] = [
      [{ comment: 'no name' }, /^body\.name: /],
      [{ name: 7 }, /^body\.name: /],
      [{ name: 'x', colour: 'red' }, /^body: .*colour/],
    ];
    for (const [json, message] of cases) {
      const r = await fx.call('POST', '/api/repos', { token: 'write', json });
      assert.equal(r.status, 400);
      assert.equal(r.json.error?.code, 'DEBSTASH_E_USAGE');
      assert.match(r.json.error?.message ?? '', message);
    }
    const badName = await fx.call('POST', '/api/repos', { token: 'write', json: { name: '../etc' } });
    assert.equal(badName.json.error?.code, 'DEBSTASH_E_USAGE');
    const notJson = await fx.call('POST', '/api/repos', { token: 'write', body: '{"name":', headers: { 'content-type': 'application/json' } });
    assert.equal(notJson.json.error?.code, 'DEBSTASH_E_USAGE');
    const wrongType = await fx.call('POST', '/api/repos', { token: 'write', body: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(wrongType.status, 415);
    const pub = await fx.call('POST', '/api/publish', { token: 'write', json: { source: { kind: 'mirror', name: 'x' }, dist: 'd' } });
    assert.match(pub.json.error?.message ?? '', /^body\.source\.kind: /);
  });

  test('remove by query, then drop (admin only)', async () => {
    const missing = await fx.call('DELETE', '/api/repos/local/packages', { token: 'write' });
    assert.equal(missing.status, 400);
    const r = await fx.call<{ removed: Summary[] }>('DELETE', `/api/repos/local/packages?q=${encodeURIComponent('tool | Version (>= 2:0)')}`, { token: 'write' });
    assert.deepEqual(r.json.removed.map((p) => p.name).sort(), ['tool', 'world']);
    const badQuery = await fx.call('DELETE', '/api/repos/local/packages?q=%28', { token: 'write' });
    assert.equal(badQuery.json.error?.code, 'DEBSTASH_E_QUERY_SYNTAX');
    assert.equal((await fx.call('DELETE', '/api/repos/local', { token: 'write' })).status, 403);
    assert.equal((await fx.call('DELETE', '/api/repos/local', { token: 'admin' })).status, 200);
    assert.equal((await fx.call('GET', '/api/repos/local', { token: 'read' })).status, 404);
  });
});

describe('REST API: upload size limit', () => {
  test('a declared or streamed body over the limit is 413, and nothing is left in tmp/', async () => {
    const fx = await apiFixture();
    const limit = 4096;
    // The limit is an option of the API environment; a bare server sets it small.
    const server = createServer((req, res) => void handleApi(fx.ctx, req, res, { metrics: new Metrics(), log: pino({ level: 'silent' }), tokens: [], uploadLimitBytes: limit }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      await fx.call('POST', '/api/repos', { token: 'write', json: { name: 'small' } });
      const send = (headers: Record<string, string | number>, chunks: number): Promise<{ status: number; body: string }> =>
        new Promise((resolve, reject) => {
          const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/api/repos/small/packages', headers: { authorization: `Bearer ${fx.secrets.write}`, 'content-type': 'application/vnd.debian.binary-package', ...headers } }, (res) => {
            let body = '';
            res.on('data', (c: Buffer) => (body += c.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          });
          req.on('error', reject);
          for (let i = 0; i < chunks; i++) req.write(Buffer.alloc(1024));
          req.end();
        });
      const declared = await send({ 'content-length': 600 * 1024 * 1024 }, 0);
      assert.equal(declared.status, 413);
      assert.equal((JSON.parse(declared.body) as { error: { code: string } }).error.code, 'DEBSTASH_E_UPLOAD_TOO_LARGE');
      const streamed = await send({ 'transfer-encoding': 'chunked' }, 8);
      assert.equal(streamed.status, 413);
      assert.equal((JSON.parse(streamed.body) as { error: { code: string } }).error.code, 'DEBSTASH_E_UPLOAD_TOO_LARGE');
      const { readdir } = await import('node:fs/promises');
      assert.deepEqual(await readdir(join(fx.ctx.dataDir, 'tmp', 'uploads')), []);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await fx.close();
    }
  });
});
