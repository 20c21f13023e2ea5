import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { firstHostUpstream, readHostAptSources } from '../../src/upstream/host-apt-sources.js';
import { isCode } from '../helpers/coded-error.js';

async function fakeRoot(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'debstash-apt-'));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

test('sources.list comes first, then sources.list.d by name; disabled and deb-src entries are passed over', async () => {
  const root = await fakeRoot({
    'etc/apt/sources.list': '# nothing here\n',
    'etc/apt/sources.list.d/b.sources': 'Types: deb\nURIs: http://b.example/debian/\nSuites: bookworm\nComponents: main\nSigned-By: /b.gpg\n',
    'etc/apt/sources.list.d/a.sources': 'Types: deb-src\nURIs: http://a.example/\nSuites: x\nComponents: main\n\nTypes: deb\nURIs: http://off.example/\nSuites: y\nComponents: main\nEnabled: no\n',
    'etc/apt/sources.list.d/ignored.txt': 'not a source',
  });
  try {
    assert.equal((await readHostAptSources(root)).length, 3);
    const up = await firstHostUpstream(root);
    assert.equal(up.uri, 'http://b.example/debian');
    assert.equal(up.suite, 'bookworm');
    assert.deepEqual(up.components, ['main']);
    assert.equal(up.signedBy, '/b.gpg');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('no apt configuration at all is a coded error', async () => {
  const root = await fakeRoot({});
  try {
    await assert.rejects(firstHostUpstream(root), isCode('DEBSTASH_E_NO_APT_SOURCE'));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('the machine running the tests has a readable apt configuration', async () => {
  const sources = await readHostAptSources();
  assert.ok(Array.isArray(sources));
});
