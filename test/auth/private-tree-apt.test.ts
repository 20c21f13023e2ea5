import assert from 'node:assert/strict';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildDeb } from '../helpers/build-deb.js';
import { IsolatedApt } from '../helpers/isolated-apt.js';
import { type ApiFixture, apiFixture } from '../server/api/api-fixture.js';

describe('a private APT tree and a real apt with auth.conf', () => {
  let fx: ApiFixture;
  let sources: string;
  before(async () => {
    fx = await apiFixture({ public: false });
    const deb = await buildDeb(join(fx.dir, 'debs'), { name: 'secret-tool', version: '1.0', architecture: 'amd64' }, { compression: 'gzip' });
    await fx.call('POST', '/api/repos', { token: 'write', json: { name: 'private' } });
    await fx.call('POST', '/api/repos/private/packages', { token: 'write', body: await readFile(deb), headers: { 'content-type': 'application/vnd.debian.binary-package' } });
    const published = await fx.call('POST', '/api/publish', { token: 'write', json: { source: { kind: 'repo', name: 'private' }, dist: 'internal' } });
    assert.equal((await fx.waitTask(published.json.task?.id ?? '')).state, 'succeeded');
    const res = await fetch(`${fx.server.url}/client/internal.sources`);
    sources = await res.text();
  });
  after(() => fx.close());

  test('apt without credentials is refused; with the read token in auth.conf it installs', async () => {
    const apt = await IsolatedApt.create(sources);
    try {
      await assert.rejects(apt.aptGet('update'), /401/);
      const auth = join(apt.dir, 'etc/apt/auth.conf');
      // apt sends credentials over plain http only to a machine named with its http:// scheme.
      await writeFile(auth, `machine ${fx.server.url}\nlogin apt\npassword ${fx.secrets.read}\n`);
      await chmod(auth, 0o600);
      await apt.aptGet('update');
      const out = await apt.aptGet('install', '-y', '--download-only', 'secret-tool');
      assert.match(out.stdout, /Download complete and in download only mode/);
    } finally {
      await apt.close();
    }
  });
});
