import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { closeContext, openEmbeddedContext } from '../../src/model/context.js';
import { hostArchitecture } from '../../src/model/host-defaults.js';
import { createMirror, showMirror } from '../../src/model/mirror-admin.js';
import { updateMirror } from '../../src/model/mirror-update.js';
import { UpstreamClient } from '../../src/upstream/http-client.js';
import { DEFAULT_FILTER } from '../../src/config/embedded-default.js';
import { reachableHostArchive } from '../helpers/host-archive.js';
import { IsolatedApt } from '../helpers/isolated-apt.js';

const run = promisify(execFile);

test('online: the seed workload from the host archive installs from the mirrored set alone', { timeout: 300_000 }, async (t) => {
  const up = await reachableHostArchive();
  if (typeof up === 'string') {
    t.skip(up);
    return;
  }
  const keyring = up.signedBy;
  if (keyring === undefined || !keyring.startsWith('/')) {
    t.skip(`the host's first apt source has no Signed-By keyring file`);
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'debstash-online-'));
  const ctx = await openEmbeddedContext(join(dir, 'data'));
  const client = new UpstreamClient();
  try {
    const arch = hostArchitecture();
    await createMirror(ctx, 'seed', { url: up.uri, dist: up.suite, components: ['main'], architectures: [arch], filter: DEFAULT_FILTER, withDeps: true, keyrings: [keyring] }, { architectures: [arch], keyrings: [] });
    const r = await updateMirror(ctx, 'seed', { client });
    const shown = await showMirror(ctx, 'seed');
    assert.ok(shown.packages.length > 200, `${shown.packages.length} packages`);
    assert.deepEqual(shown.unresolved, []);
    assert.equal(r.packages, shown.packages.length);

    // A flat repository of exactly the mirrored stanzas: apt sees nothing else.
    const repo = join(dir, 'repo');
    await run('mkdir', ['-p', repo]);
    await writeFile(join(repo, 'Packages'), `${(await ctx.store.mirrorPackages('seed')).map((p) => p.stanza).join('\n')}\n`);
    const apt = await IsolatedApt.create(`Types: deb\nURIs: file:${repo}\nSuites: ./\nTrusted: yes\n`);
    try {
      await apt.aptGet('update');
      const names = [...new Set(shown.packages.map((p) => p.name))];
      const out = await apt.aptGet('-s', 'install', ...names);
      assert.match(out.stdout, new RegExp(`^0 upgraded, ${names.length} newly installed, 0 to remove`, 'm'), out.stdout.slice(-2000));
    } finally {
      await apt.close();
    }

    // And every package on its own, by someone else's solver.
    const dose = await run('dose-distcheck', [`--deb-native-arch=${arch}`, '-f', '-e', `deb://${join(repo, 'Packages')}`]).catch((e: { stdout?: string; code?: unknown }) => {
      if (e.code === 'ENOENT') return undefined;
      return { stdout: e.stdout ?? '' };
    });
    if (dose !== undefined) assert.match(dose.stdout, /^broken-packages: 0$/m, dose.stdout.slice(0, 3000));
  } finally {
    await client.close();
    await closeContext(ctx);
    await rm(dir, { recursive: true, force: true });
  }
});
