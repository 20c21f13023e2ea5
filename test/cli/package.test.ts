import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { closeContext, openEmbeddedContext } from '../../src/model/context.js';
import { addToRepo, createRepo } from '../../src/model/repo-ops.js';
import { createSnapshot } from '../../src/model/snapshot-ops.js';
import { buildDeb } from '../helpers/build-deb.js';
import { projectRoot } from '../helpers/project-root.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'debstash-package-'));
  const ctx = await openEmbeddedContext(join(dir, 'data'));
  try {
    await createRepo(ctx, 'r');
    const debs = await Promise.all([
      buildDeb(join(dir, 'debs'), { name: 'alpha', version: '1.0', architecture: 'amd64', extraFields: { Priority: 'optional' } }, { compression: 'gzip' }),
      buildDeb(join(dir, 'debs'), { name: 'beta', version: '2.0', architecture: 'all' }, { compression: 'gzip' }),
    ]);
    await addToRepo(ctx, 'r', debs);
    await createSnapshot(ctx, 'snap', { repo: 'r' });
  } finally {
    await closeContext(ctx);
  }
});
after(() => rm(dir, { recursive: true, force: true }));

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(projectRoot, 'bin/debstash.js'), '--data-dir', join(dir, 'data'), ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('package search lists each package once with where it is', () => {
  const human = run('package', 'search', 'alpha | beta');
  assert.equal(human.status, 0, human.stderr);
  assert.equal(human.stdout, 'alpha 1.0 amd64  (repo r, snapshot snap)\nbeta 2.0 all  (repo r, snapshot snap)\n');
  const json = JSON.parse(run('--json', 'package', 'search', 'Priority (optional)').stdout) as { name: string; locations: unknown[]; stanza?: string }[];
  assert.deepEqual(json.map((h) => [h.name, h.locations.length, h.stanza]), [['alpha', 2, undefined]]);
  assert.equal(run('package', 'search', 'nothing-like-this').stdout, 'no package matches\n');
  assert.equal(run('package', 'search', '(').status, 2, 'a query syntax error is a usage error');
});

test('package show prints the index paragraph of each match', () => {
  const r = run('package', 'show', 'beta');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^Package: beta\n/);
  assert.match(r.stdout, /^Filename: beta_2\.0_all\.deb$/m);
  assert.match(r.stdout, /^X-Debstash-In: repo r, snapshot snap$/m);
});
