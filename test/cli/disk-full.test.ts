/**
 * A full disk (issue 14 item 1): the data dir is a small tmpfs, filled up before a mirror
 * update that has a large new package to download and before a publish. Each must end in a
 * coded error, the publish the server was serving must still be served to a real apt, `db
 * check` must find nothing wrong, and once space is freed the same commands must simply work:
 * nothing to repair. Needs root (mount); skips with a message otherwise.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, rm, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildDeb } from '../helpers/build-deb.js';
import { buildArchive } from '../helpers/fixture-archive.js';
import { type MirrorFixture, mirrorFixture } from '../model/mirror-fixture.js';
import { ServedDataDir } from './served-data-dir.js';

const SIZE_MIB = 24;

function tryMount(dir: string): string | undefined {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${SIZE_MIB}m,mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
    return undefined;
  } catch (err) {
    return `cannot mount a tmpfs here (${String((err as { stderr?: Buffer }).stderr ?? err).trim()}); run as root to test a full disk`;
  }
}

/** Fills the file system of `dir` up to `leave` free bytes. */
async function fill(dir: string, leave: number): Promise<string> {
  const s = await statfs(dir);
  const free = s.bavail * s.bsize;
  const filler = join(dir, 'filler');
  await writeFile(filler, Buffer.alloc(Math.max(0, free - leave)));
  return filler;
}

describe('a full disk', { timeout: 5 * 60_000 }, () => {
  let fx: MirrorFixture;
  let mount: string;
  let skip: string | undefined;
  let served: ServedDataDir;

  before(async () => {
    fx = await mirrorFixture();
    mount = join(fx.dir, 'small');
    await mkdir(mount);
    skip = tryMount(mount);
    if (skip !== undefined) return;
    served = new ServedDataDir(fx, join(mount, 'data'));
    await served.setUp([await buildDeb(join(fx.dir, 'local'), { name: 'local', version: '1.0', architecture: 'amd64' }, { compression: 'gzip' })]);
  });

  after(async () => {
    await served?.close();
    if (skip === undefined) execFileSync('umount', ['-l', mount]);
    await fx.close();
  });

  test('a mirror update and a publish on a full disk: coded errors, the publish still served, nothing to repair', async (t) => {
    if (skip !== undefined) return t.skip(skip);
    // Upstream gains a 3 MiB package the filter selects: more than the space left.
    await buildArchive(fx.dir, {
      codename: 'testing',
      architectures: ['amd64', 'i386'],
      components: { main: [{ name: 'app', version: '2.0-1', architecture: 'amd64', extraFields: { Depends: 'libfoo1 (>= 1.0), mail-transport-agent | postfix', 'Pre-Depends': 'base' }, files: { 'usr/share/app/blob': { randomBytes: 3 << 20 } } }], contrib: [] },
      key: fx.key,
      distributionFields: { ValidFor: '7d' },
    });

    let filler = await fill(mount, 256 * 1024);
    const update = await served.run(['mirror', 'update', 'm']);
    assert.equal(update.status, 1, update.text);
    assert.match(update.text, /DEBSTASH_E_[A-Z_]+/);
    assert.doesNotMatch(update.text, /internal error|\n\s+at /);
    t.diagnostic(`update on a full disk: ${update.text.trim().split('\n').at(-1) ?? ''}`);
    await served.checkClean('after the update on a full disk');
    await served.aptWorks('after the update on a full disk');

    const publish = await served.run(['publish', 'snapshot', 's0', '--dist', 'big', '--contents']);
    const snapshot = await served.run(['snapshot', 'create', 's1', '--from-mirror', 'm']);
    assert.equal(snapshot.status, 0, snapshot.text);
    await rm(filler);
    filler = await fill(mount, 16 * 1024);
    const switched = await served.run(['publish', 'switch', 'd', 's1']);
    for (const r of [publish, switched]) {
      if (r.status === 0) continue; // small enough to fit: fine, as long as what follows holds
      assert.equal(r.status, 1, r.text);
      assert.match(r.text, /DEBSTASH_E_[A-Z_]+/);
      assert.doesNotMatch(r.text, /internal error|\n\s+at /);
      t.diagnostic(`publish on a full disk: ${r.text.trim().split('\n').at(-1) ?? ''}`);
    }
    assert.notEqual(switched.status, 0, 'the switch fitted into 16 KiB: the test no longer fills the disk');
    await served.checkClean('after publishing on a full disk');
    await served.aptWorks('after publishing on a full disk');

    // Space again: the same commands work, nothing to repair first.
    await rm(filler);
    await served.ok(['mirror', 'update', 'm']);
    await served.ok(['snapshot', 'create', 's2', '--from-mirror', 'm']);
    await served.ok(['publish', 'switch', 'd', 's2']);
    if (publish.status !== 0) await served.ok(['publish', 'snapshot', 's0', '--dist', 'big', '--contents']);
    await served.checkClean('after space was freed');
    assert.match(await served.aptWorks('after space was freed'), / app amd64 2\.0-1 /);
  });
});
