/**
 * `/client/…` of `debstash serve` names the public URL when one is set (`server.public_url` of
 * the config in effect, else DEBSTASH_PUBLIC_URL): the URL the Releases' `Snapshots:` names,
 * whatever Host a request came with; without one, the Host asked for.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildDeb } from '../helpers/build-deb.js';
import { rawGet } from '../server/raw-get.js';
import { runCli } from '../helpers/run-cli.js';
import { startServeProcess } from '../helpers/serve-process.js';

let dir: string;
let data: string;
const PUBLIC = 'http://apt.internal.test:9000';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'debstash-serve-public-url-'));
  data = join(dir, 'data');
  const deb = await buildDeb(join(dir, 'debs'), { name: 'hello', version: '1.0', architecture: 'amd64', files: { 'usr/share/doc/hello/README': 'hello\n' } }, { compression: 'gzip' });
  for (const args of [['key', 'generate'], ['repo', 'create', 'main'], ['repo', 'add', 'main', deb], ['publish', 'repo', 'main', '--dist', 'stable', '--prefix', 'p']]) {
    const r = await runCli(data, ['-q', ...args], { env: { DEBSTASH_KEY_PASSPHRASE: '' } });
    assert.equal(r.status, 0, r.text);
  }
});

after(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** The URIs of `/client/p/stable.sources` of a serve started with `env`, asked with Host `host`. */
async function urisServed(env: Record<string, string>, host: string): Promise<string> {
  const serve = await startServeProcess(data, { env });
  try {
    const r = await rawGet(serve.url, '/client/p/stable.sources', { Host: host });
    assert.equal(r.status, 200, r.body);
    assert.match(r.body, /^Signed-By:\n {1}-----BEGIN PGP PUBLIC KEY BLOCK-----$/m);
    return /^URIs: (.*)$/m.exec(r.body)?.[1] ?? '';
  } finally {
    assert.deepEqual(await serve.stop(), { code: 0, signal: null }, serve.stderr());
  }
}

test('server.public_url of the config, then DEBSTASH_PUBLIC_URL, then the Host asked for', async () => {
  const config = join(dir, 'debstash.yaml');
  await writeFile(config, `server:\n  public_url: ${PUBLIC}/\n`);
  assert.equal(await urisServed({ DEBSTASH_CONFIG: config, DEBSTASH_PUBLIC_URL: 'http://other.test' }, 'lb.test:80'), `${PUBLIC}/p`, 'the config wins, normalized');
  assert.equal(await urisServed({ DEBSTASH_PUBLIC_URL: 'https://env.test/apt' }, 'lb.test:80'), 'https://env.test/apt/p');
  assert.equal(await urisServed({ DEBSTASH_PUBLIC_URL: '' }, 'lb.test:8081'), 'http://lb.test:8081/p', 'none set: the Host');
});

test('a public URL that is no URL stops serve with a coded error, not a stack trace', async () => {
  await assert.rejects(startServeProcess(data, { env: { DEBSTASH_PUBLIC_URL: 'mirror:8080' } }), /DEBSTASH_E_PUBLIC_URL/);
});
