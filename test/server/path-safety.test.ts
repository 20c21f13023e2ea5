import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { closeContext, type Context, openEmbeddedContext } from '../../src/model/context.js';
import { type RunningServer, startServer } from '../../src/server/start-server.js';
import { rawGet } from './raw-get.js';

/** Text that only files outside the served tree (or its private state) contain. */
const SECRET = 'SECRET-OUTSIDE-THE-TREE';

/**
 * Every path a client can send to get out of the tree or into a publisher's private state:
 * each is refused with 400 or 404, and no answer carries a byte of those files.
 */
const HOSTILE = [
  '/../secret.txt',
  '/..%2fsecret.txt',
  '/%2e%2e/secret.txt',
  '/%2E%2e/secret.txt',
  '/%2E%2E/%2E%2E/etc/passwd',
  '/pool/../../secret.txt',
  '/pool/%2e%2e/%2e%2e/secret.txt',
  '/pool/main/..%2f..%2f..%2fsecret.txt',
  '/pool/%252e%252e/%252e%252e/secret.txt',
  '/%252e%252e%252fsecret.txt',
  '/pool/%c0%ae%c0%ae/%c0%ae%c0%ae/secret.txt',
  '/%c0%af..%c0%afsecret.txt',
  '/%e0%80%ae%e0%80%ae/secret.txt',
  '/dists/stable/InRelease%00.deb',
  '/dists/stable/%00',
  '/pool\\..\\..\\secret.txt',
  '/pool/%5c..%5c..%5csecret.txt',
  '/pool/%5C..%5C..%5Csecret.txt',
  '//etc/passwd',
  '///../secret.txt',
  '/etc/passwd',
  '/dists/stable/leak',
  '/pool/main/h/relative-leak',
  '/pool/outside-dir/secret.txt',
  '/./dists/stable/InRelease',
  '/dists/./stable/InRelease',
  '/dists/stable/.debstash/state.json',
  '/dists/stable/%2edebstash/state.json',
  '/.debstash/lock',
  '/.debstash/tmp/partial',
  '/.git/config',
  '/dists/.hidden',
  '/%',
  '/%zz',
  '/dists/stable/main',
  '/pool/',
  '/ui/../../etc/passwd',
  '/ui/%2e%2e/%2e%2e/etc/passwd',
  '/ui/assets/..%2f..%2f..%2fpackage.json',
];

describe('serve: hostile paths never reach a file outside the tree', () => {
  let dir: string;
  let ctx: Context;
  let server: RunningServer;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'debstash-paths-'));
    ctx = await openEmbeddedContext(join(dir, 'data'));
    const root = ctx.publicDir;
    await mkdir(join(root, 'pool/main/h'), { recursive: true });
    await mkdir(join(root, 'dists/stable/main'), { recursive: true });
    await mkdir(join(root, 'dists/stable/.debstash'), { recursive: true });
    await mkdir(join(root, '.debstash/tmp'), { recursive: true });
    await mkdir(join(dir, 'outside'), { recursive: true });
    await writeFile(join(root, 'dists/stable/InRelease'), 'signed release\n');
    await writeFile(join(root, 'dists/stable/.debstash/state.json'), SECRET);
    await writeFile(join(root, '.debstash/lock'), SECRET);
    await writeFile(join(root, '.debstash/tmp/partial'), SECRET);
    await writeFile(join(root, '.git-config'), SECRET);
    await writeFile(join(dir, 'secret.txt'), SECRET);
    await writeFile(join(dir, 'outside/secret.txt'), SECRET);
    // Links inside the tree that lead out of it: to a file, relatively to a file, to a directory.
    await symlink(join(dir, 'secret.txt'), join(root, 'dists/stable/leak'));
    await symlink('../../../../secret.txt', join(root, 'pool/main/h/relative-leak'));
    await symlink(join(dir, 'outside'), join(root, 'pool/outside-dir'));
    server = await startServer(ctx, { host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await server.close();
    await closeContext(ctx);
    await rm(dir, { recursive: true, force: true });
  });

  test('the table has at least 20 hostile paths, and the tree itself is served', async () => {
    assert.ok(HOSTILE.length >= 20);
    assert.equal((await rawGet(server.url, '/dists/stable/InRelease')).status, 200);
  });

  for (const path of HOSTILE) {
    test(`refuses ${path}`, async () => {
      // Twice: the second answer could come from the cache of hot files.
      for (let i = 0; i < 2; i++) {
        const r = await rawGet(server.url, path);
        assert.ok(r.status === 400 || r.status === 404, `${path}: ${r.status}`);
        assert.doesNotMatch(r.body, new RegExp(`${SECRET}|root:`));
      }
    });
  }
});
