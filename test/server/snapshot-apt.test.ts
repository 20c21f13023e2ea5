/**
 * apt's own time travel against debstash: trixie's apt (≥ 2.7), in a debootstrap'd trixie root
 * run with chroot, updates and installs through `/snapshots/ID/` of a publish served on
 * 127.0.0.1, following the `Snapshots:` field of the signed Release. Skipped, saying why,
 * without root, debootstrap or an archive that answers.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Context } from '../../src/model/context.js';
import { StoreLocks } from '../../src/model/store-locks.js';
import { publishTree, type PublishTreeResult } from '../../src/publish/publish-tree.js';
import { snapshotId } from '../../src/publish/snapshot-id.js';
import { type RunningServer, startServer } from '../../src/server/start-server.js';
import type { PackageEntry } from '../../src/store/records.js';
import { reachableHostArchive } from '../helpers/host-archive.js';
import { type TrixieChroot, trixieChroot, trixieUnavailable } from '../helpers/trixie-chroot.js';
import { publishFixture, type PublishFixture } from '../publish/publish-fixture.js';

const PROBE = 'debstash-time-travel-probe';
let skip: string | undefined;
let f: PublishFixture | undefined;
let server: RunningServer | undefined;
let chroot: TrixieChroot | undefined;
const published: PublishTreeResult[] = [];

before(async () => {
  const upstream = await reachableHostArchive();
  skip = typeof upstream === 'string' ? upstream : await trixieUnavailable(upstream);
  if (skip !== undefined || typeof upstream === 'string') return;
  const fixture = (f = await publishFixture());
  const [made, versions] = await Promise.all([
    trixieChroot(upstream),
    Promise.all(['1.0', '2.0'].map((version) => fixture.deb({ name: PROBE, version, architecture: 'amd64' }))),
  ]);
  chroot = made.chroot;
  console.log(`trixie root ${made.cached ? 'unpacked from the cache' : 'built by debootstrap'} in ${(made.ms / 1000).toFixed(1)} s`);
  const ctx: Context = { dataDir: fixture.dir, store: fixture.store, locks: new StoreLocks(fixture.store), pool: fixture.pool, indexCacheDir: join(fixture.dir, 'cache'), publicDir: fixture.root };
  server = await startServer(ctx, { host: '127.0.0.1', port: 0 });
  for (const [i, deb] of versions.entries()) {
    // Each generation in a second of its own: an ID names a second.
    if (i > 0) await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 50));
    published.push(await publish(fixture, 'stable', deb, server.url));
  }
  // The same package without a public URL: a Release with no Snapshots: field.
  await publish(fixture, 'plain', versions[0] as PackageEntry);
  await mkdir(join(chroot.dir, 'etc/apt/keyrings'), { recursive: true });
  await copyFile(fixture.signer.armoredFile, join(chroot.dir, 'etc/apt/keyrings/debstash.asc'));
  await rm(join(chroot.dir, 'etc/apt/sources.list'), { force: true });
  const stanza = (suite: string): string => `Types: deb\nURIs: ${(server as RunningServer).url}/tt\nSuites: ${suite}\nComponents: main\nSigned-By: /etc/apt/keyrings/debstash.asc\n`;
  await writeFile(join(chroot.dir, 'etc/apt/sources.list.d/debstash.sources'), stanza('stable'));
  // Read only by the test that asks for it (Dir::Etc::SourceParts pointed here).
  await mkdir(join(chroot.dir, 'etc/apt/plain.d'));
  await writeFile(join(chroot.dir, 'etc/apt/plain.d/plain.sources'), stanza('plain'));
});

after(async () => {
  await server?.close(0);
  await chroot?.close();
  await f?.close();
});

function publish(fixture: PublishFixture, dist: string, deb: PackageEntry, publicUrl?: string): Promise<PublishTreeResult> {
  return publishTree({
    root: fixture.root,
    prefix: 'tt',
    dist,
    components: [{ name: 'main', packages: [deb] }],
    architectures: ['amd64'],
    meta: { origin: 'TimeTravel' },
    signer: fixture.signer,
    pool: fixture.pool,
    store: fixture.store,
    ...(publicUrl !== undefined ? { publicUrl } : {}),
  });
}

/** apt-get in the root, as root (no _apt sandbox user: the lists belong to the test; no pty: no /dev/pts in the root). */
async function aptGet(...args: string[]): Promise<{ ok: boolean; out: string }> {
  const r = await (chroot as TrixieChroot).run(['apt-get', '-o', 'APT::Sandbox::User=root', '-o', 'Acquire::Retries=0', '-o', 'Dpkg::Use-Pty=0', ...args], 120_000);
  const out = r.stdout + r.stderr;
  return { ok: r.code === 0 && !/^(W|E|Err):/m.test(out), out };
}

async function installed(): Promise<string> {
  const r = await (chroot as TrixieChroot).run(['dpkg-query', '-W', '-f', '${Version}', PROBE]);
  return r.code === 0 ? r.stdout : `not installed (${r.stderr.trim()})`;
}

const idOf = (r: PublishTreeResult | undefined): string => snapshotId((r as PublishTreeResult).date);

test("trixie's apt understands Snapshots: (2.7 or later)", async (t) => {
  if (skip !== undefined) return t.skip(skip);
  const r = await (chroot as TrixieChroot).run(['apt-get', '--version']);
  const m = /^apt (\d+)\.(\d+)/.exec(r.stdout);
  assert.ok(m !== null, r.stdout);
  assert.ok(Number(m[1]) > 2 || (Number(m[1]) === 2 && Number(m[2]) >= 7), `apt ${m[0]} is older than 2.7`);
});

test('apt update --snapshot to the older ID installs the older version; without it, the newer', async (t) => {
  if (skip !== undefined) return t.skip(skip);
  assert.ok(published[0] !== undefined && published[1] !== undefined && idOf(published[0]) < idOf(published[1]), 'two generations, a second apart');
  // apt learns the Snapshots: template from the Release of a plain update first.
  const plain = await aptGet('update');
  assert.ok(plain.ok, plain.out);
  const old = await aptGet('update', '--snapshot', idOf(published[0]));
  assert.ok(old.ok, old.out);
  assert.match(old.out, new RegExp(`/snapshots/${idOf(published[0])}/tt`));
  const install = await aptGet('install', '-y', '--snapshot', idOf(published[0]), PROBE);
  assert.ok(install.ok, install.out);
  assert.match(install.out, new RegExp(`/snapshots/${idOf(published[0])}/tt stable/main amd64 ${PROBE} amd64 1\\.0`), 'the .deb came through the snapshot path');
  assert.equal(await installed(), '1.0');
  const upgrade = await aptGet('install', '-y', PROBE);
  assert.ok(upgrade.ok, upgrade.out);
  assert.equal(await installed(), '2.0');
});

test('an ID before the first snapshot: apt update fails on a coded 404', async (t) => {
  if (skip !== undefined) return t.skip(skip);
  const early = snapshotId(new Date((published[0] as PublishTreeResult).date.getTime() - 3_600_000));
  const r = await aptGet('update', '--snapshot', early);
  assert.equal(r.ok, false, r.out);
  assert.match(r.out, /404/);
  assert.match(r.out, /DEBSTASH_E_SNAPSHOT_TOO_OLD/);
  const answer = await fetch(`${(server as RunningServer).url}/snapshots/${early}/tt/dists/stable/InRelease`);
  assert.equal(answer.status, 404);
  assert.match(await answer.text(), new RegExp(`^DEBSTASH_E_SNAPSHOT_TOO_OLD: .*oldest it keeps is ${idOf(published[0])}`));
});

test('a publish without a public URL has no Snapshots: field: apt --snapshot quietly gets today\'s tree', async (t) => {
  if (skip !== undefined) return t.skip(skip);
  const only = ['-o', 'Dir::Etc::SourceParts=/etc/apt/plain.d', '-o', 'Dir::State::Lists=/var/lib/apt/plain-lists'];
  await mkdir(join((chroot as TrixieChroot).dir, 'var/lib/apt/plain-lists/partial'), { recursive: true });
  const plain = await aptGet(...only, 'update');
  assert.ok(plain.ok, plain.out);
  // trixie's apt (3.0) skips the snapshot for a source whose Release offers none, without a word.
  const r = await aptGet(...only, 'update', '--snapshot', idOf(published[0]));
  assert.ok(r.ok, r.out);
  assert.match(r.out, /\/tt plain InRelease/);
  assert.doesNotMatch(r.out, /\/snapshots\//);
});
