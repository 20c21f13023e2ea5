import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import type { ConfiguredToken } from '../../src/auth/configured-token.js';
import { createToken, revokeToken } from '../../src/auth/token-ops.js';
import { type ApiFixture, apiFixture, type CallOptions } from '../server/api/api-fixture.js';

const CONFIGURED: ConfiguredToken = { name: 'from-yaml', scope: 'write', secret: 'configured-secret-from-the-environment' };

describe('API auth: bearer tokens with scopes read < write < admin', () => {
  let fx: ApiFixture;
  let revoked: string;
  const logged: string[] = [];
  before(async () => {
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (logged.push(chunk.toString()), done()) });
    fx = await apiFixture({ configuredTokens: [CONFIGURED], logger: pino({ level: 'info' }, sink) });
    revoked = (await createToken(fx.ctx, { scope: 'admin', name: 'gone' })).secret;
    await revokeToken(fx.ctx, 'gone');
    assert.equal((await fx.call('POST', '/api/repos', { token: 'write', json: { name: 'target' } })).status, 201);
  });
  after(() => fx.close());

  const basic = (secret: string): Record<string, string> => ({ authorization: `Basic ${Buffer.from(`apt:${secret}`).toString('base64')}` });

  // [label, method, path, credentials, status, code]; made once the tokens exist.
  const table = (): [string, string, string, CallOptions, number, string | undefined][] => [
    ['no token, read route of a public server', 'GET', '/api/repos', {}, 200, undefined],
    ['no token, write route', 'POST', '/api/snapshots', { json: { name: 's', fromRepo: 'target' } }, 401, 'DEBSTASH_E_UNAUTHORIZED'],
    ['wrong token', 'GET', '/api/repos', { token: { secret: 'dst_not-a-token' } }, 401, 'DEBSTASH_E_UNAUTHORIZED'],
    ['malformed header', 'GET', '/api/repos', { headers: { authorization: 'Token abc def' } }, 401, 'DEBSTASH_E_UNAUTHORIZED'],
    ['revoked token', 'GET', '/api/repos', { token: { secret: revoked } }, 401, 'DEBSTASH_E_UNAUTHORIZED'],
    ['read token on a write route', 'POST', '/api/snapshots', { token: 'read', json: { name: 's', fromRepo: 'target' } }, 403, 'DEBSTASH_E_FORBIDDEN'],
    ['write token on an admin route', 'DELETE', '/api/snapshots/s', { token: 'write' }, 403, 'DEBSTASH_E_FORBIDDEN'],
    ['read token on a read route', 'GET', '/api/repos', { token: 'read' }, 200, undefined],
    ['write token on a write route', 'POST', '/api/snapshots', { token: 'write', json: { name: 's', fromRepo: 'target' } }, 201, undefined],
    ['admin token on a read route', 'GET', '/api/snapshots/s', { token: 'admin' }, 200, undefined],
    ['configured token (debstash.yaml)', 'POST', '/api/snapshots', { token: { secret: CONFIGURED.secret }, json: { name: 's2', fromRepo: 'target' } }, 201, undefined],
    ['configured write token on an admin route', 'DELETE', '/api/snapshots/s2', { token: { secret: CONFIGURED.secret } }, 403, 'DEBSTASH_E_FORBIDDEN'],
    ['basic auth with a token as password', 'GET', '/api/repos', { headers: basic(fx.secrets.read) }, 200, undefined],
    ['admin token on an admin route', 'DELETE', '/api/snapshots/s', { token: 'admin' }, 200, undefined],
    ['the OpenAPI document is public', 'GET', '/api/openapi.json', {}, 200, undefined],
  ];

  test('the auth table', async () => {
    for (const [label, method, path, credentials, status, code] of table()) {
      const r = await fx.call(method, path, credentials);
      assert.equal(r.status, status, `${label}: ${r.text}`);
      assert.equal(r.json.error?.code, code, label);
      if (status === 401) assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer realm="debstash"/, label);
      if (status === 403) assert.ok(['write', 'admin'].includes(String(r.json.error?.details.needed)), label);
    }
  });

  test('failed attempts are logged with a fingerprint, never the secret', () => {
    const failures = logged.filter((l) => l.includes('API authentication failed'));
    assert.ok(failures.length >= 4, `${failures.length} failures logged`);
    const all = logged.join('');
    for (const secret of ['dst_not-a-token', revoked, 'abc def']) assert.ok(!all.includes(secret), 'a secret reached the log');
    assert.ok(failures.some((l) => /"fingerprint":"[0-9a-f]{8}"/.test(l)));
    assert.ok(logged.some((l) => l.includes('scope too low')));
  });
});

describe('tree access: a private APT tree', () => {
  let fx: ApiFixture;
  const TREE_TOKEN: ConfiguredToken = { name: 'apt-clients', scope: 'read', secret: 'tree-secret' };
  before(async () => {
    fx = await apiFixture({ public: false, configuredTokens: [TREE_TOKEN] });
  });
  after(() => fx.close());

  test('no or wrong credentials: 401 with a challenge; a read token as bearer or basic-auth password: through', async () => {
    const get = (headers: Record<string, string>): Promise<Response> => fetch(`${fx.server.url}/dists/none/InRelease`, { headers });
    const basic = (user: string, secret: string): Record<string, string> => ({ authorization: `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}` });
    const cases: [string, Record<string, string>, number][] = [
      ['nothing', {}, 401],
      ['wrong bearer', { authorization: 'Bearer nope' }, 401],
      ['wrong basic password', basic('apt-clients', 'nope'), 401],
      ['basic without a password', basic('tree-secret', ''), 401],
      ['configured token as bearer', { authorization: `Bearer ${TREE_TOKEN.secret}` }, 404],
      ['configured token as basic password (apt auth.conf)', basic('apt-clients', TREE_TOKEN.secret), 404],
      ['stored read token as basic password', basic('anyone', fx.secrets.read), 404],
      ['stored admin token as bearer', { authorization: `Bearer ${fx.secrets.admin}` }, 404],
    ];
    for (const [label, headers, status] of cases) {
      const res = await get(headers);
      assert.equal(res.status, status, label);
      if (status === 401) assert.match(res.headers.get('www-authenticate') ?? '', /Basic/, label);
      await res.arrayBuffer();
    }
  });

  test("the API's reads need a read token on a private server; writes always need a token", async () => {
    const repos = await fetch(`${fx.server.url}/api/repos`);
    assert.equal(repos.status, 401);
    assert.match(await repos.text(), /DEBSTASH_E_UNAUTHORIZED/);
    assert.equal((await fetch(`${fx.server.url}/api/repos`, { headers: { authorization: `Bearer ${fx.secrets.read}` } })).status, 200);
  });

  test('a public tree (the default) needs nothing, for the tree and the API\'s reads; writes still need a token', async () => {
    const open = await apiFixture();
    try {
      assert.equal((await fetch(`${open.server.url}/dists/none/InRelease`)).status, 404);
      assert.equal((await fetch(`${open.server.url}/api/mirrors`)).status, 200);
      assert.equal((await fetch(`${open.server.url}/api/repos`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"x"}' })).status, 401);
      assert.equal((await fetch(`${open.server.url}/api/mirrors`, { headers: { authorization: 'Bearer dst_wrong' } })).status, 401);
    } finally {
      await open.close();
    }
  });
});
