import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { after, before, describe, test } from 'node:test';
import type { MirrorConfig } from '../../src/store/records.js';
import type { PackageEntry } from '../../src/store/records.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { SigningKeyRecord } from '../../src/store/signing-key-record.js';
import type { Store } from '../../src/store/store.js';
import { isCode } from '../helpers/coded-error.js';
import { STORE_BACKENDS, stopStoreBackends } from '../helpers/store-backends.js';

after(stopStoreBackends);

const config: MirrorConfig = {
  url: 'http://127.0.0.1:1/debian',
  dist: 'stable',
  components: ['main'],
  architectures: ['amd64'],
  filter: 'Priority (required)',
  withDeps: true,
  withRecommends: false,
  withSources: false,
  withUdebs: false,
  keyrings: [],
  depsFrom: [],
};

function pkg(name: string, version: string, sha: string): PackageEntry {
  return {
    kind: 'deb',
    name,
    version,
    architecture: 'amd64',
    component: 'main',
    stanza: `Package: ${name}\nVersion: ${version}\n`,
    files: [{ path: `pool/main/${name}_${version}_amd64.deb`, sha256: sha.repeat(64).slice(0, 64), size: 10 }],
  };
}

test('a data dir from a newer debstash is refused with a coded error', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'debstash-store-'));
  try {
    const file = join(dir, 'x.sqlite');
    const db = new Database(file);
    db.pragma('user_version = 999');
    db.close();
    assert.throws(() => SqliteStore.open(file), isCode('DEBSTASH_E_STORE_VERSION'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

for (const backend of STORE_BACKENDS) {
  describe(`${backend.name} store`, { skip: backend.skip }, () => {
    const stores = backend.fixture();
    let store: Store;
    before(async () => {
      store = await stores.open('one');
    });

    test('creates, lists, edits and drops mirrors; names are unique', async () => {
      await store.transaction((tx) => tx.createMirror('m1', config, '2026-01-01T00:00:00Z'));
      await assert.rejects(store.transaction((tx) => tx.createMirror('m1', config, 'x')), isCode('DEBSTASH_E_MIRROR_EXISTS'));
      assert.deepEqual(await store.getMirror('m1'), { name: 'm1', config, createdAt: '2026-01-01T00:00:00Z', packageCount: 0 });
      await store.transaction((tx) => tx.setMirrorConfig('m1', { ...config, withDeps: false }));
      assert.equal((await store.getMirror('m1'))?.config.withDeps, false);
      await store.transaction((tx) => tx.createMirror('a0', config, 'x'));
      assert.deepEqual((await store.listMirrors()).map((m) => m.name), ['a0', 'm1']);
      await store.transaction((tx) => tx.dropMirror('a0'));
      assert.equal(await store.getMirror('a0'), undefined);
      await assert.rejects(store.transaction((tx) => tx.dropMirror('a0')), isCode('DEBSTASH_E_MIRROR_NOT_FOUND'));
    });

    test('replaces a mirror list at once, sorted by name, arch and dpkg version order', async () => {
      const sync = { releaseSha256: 'f'.repeat(64), etag: '"e1"' };
      await store.transaction((tx) =>
        tx.replaceMirrorContents('m1', {
          packages: [pkg('zlib', '1.10', 'a'), pkg('zlib', '1.9', 'b'), pkg('bash', '5.2', 'c')],
          unresolved: [{ package: 'bash', dependency: 'missing-lib (>= 2)' }],
          sync,
          updatedAt: '2026-01-02T00:00:00Z',
        }),
      );
      const pkgs = await store.mirrorPackages('m1');
      assert.deepEqual(pkgs.map((p) => `${p.name}_${p.version}`), ['bash_5.2', 'zlib_1.9', 'zlib_1.10']);
      assert.equal(pkgs[0]?.files[0]?.path, 'pool/main/bash_5.2_amd64.deb');
      assert.deepEqual(await store.mirrorUnresolved('m1'), [{ package: 'bash', dependency: 'missing-lib (>= 2)' }]);
      const m = await store.getMirror('m1');
      assert.equal(m?.packageCount, 3);
      assert.deepEqual(m?.sync, sync);
      assert.equal((await store.referencedFiles()).size, 3);
    });

    test('a failing transaction changes nothing, and readers never see its partial work', async () => {
      const before = await store.mirrorPackages('m1');
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.replaceMirrorContents('m1', { packages: [], unresolved: [], sync: { releaseSha256: '0' }, updatedAt: 'x' });
          assert.deepEqual(await store.mirrorPackages('m1'), before, 'reader sees only committed state');
          throw new Error('download failed');
        }),
        /download failed/,
      );
      assert.deepEqual(await store.mirrorPackages('m1'), before);
    });

    test('concurrent transactions are serialized: no lost update', async () => {
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.transaction(async (tx) => {
            await new Promise((r) => setTimeout(r, 1));
            await tx.createMirror(`c${String(i).padStart(2, '0')}`, config, 'x');
          }),
        ),
      );
      assert.equal((await store.listMirrors()).filter((m) => m.name.startsWith('c')).length, 20);
    });
  });

  describe(`${backend.name} store: on-demand files`, { skip: backend.skip }, () => {
    const stores = backend.fixture();
    let store: Store;
    before(async () => {
      store = await stores.open('deferred');
    });

    test('answers where an on-demand file comes from, and which files may be absent with which policy', async () => {
      const sync = { releaseSha256: 'f'.repeat(64) };
      const contents = (packages: PackageEntry[]) => ({ packages, unresolved: [], sync, updatedAt: 't' });
      const [a, b, c, d] = [pkg('a', '1', '1'), pkg('b', '1', '2'), pkg('c', '1', '3'), pkg('d', '1', '4')];
      await store.transaction(async (tx) => {
        await tx.createMirror('lazy', { ...config, url: 'http://127.0.0.1:1/lazy', policy: 'on-demand' }, 't');
        await tx.createMirror('kept', { ...config, url: 'http://127.0.0.1:1/kept', policy: 'cache-on-serve' }, 't');
        await tx.createMirror('eager', config, 't');
        await tx.replaceMirrorContents('lazy', contents([a, b, c, d]));
        await tx.replaceMirrorContents('kept', contents([b]));
        await tx.replaceMirrorContents('eager', contents([c]));
        await tx.createRepo('mine', '', 't');
        await tx.addRepoPackages('mine', [d]);
      });
      const sha = (p: PackageEntry): string => p.files[0]?.sha256 ?? '';
      assert.deepEqual(await store.onDemandSource(sha(a)), { mirror: 'lazy', url: 'http://127.0.0.1:1/lazy', path: 'pool/main/a_1_amd64.deb', sha256: sha(a), size: 10, policy: 'on-demand' });
      // Both deferred mirrors list b: the first by name answers.
      assert.equal((await store.onDemandSource(sha(b)))?.mirror, 'kept');
      assert.equal(await store.onDemandSource('0'.repeat(64)), undefined);
      // a: only on-demand; b: a cache-on-serve mirror keeps it; c: an immediate mirror and d: a repo need them present.
      assert.deepEqual(
        [...(await store.deferredFiles())].sort(),
        [
          [sha(a), 'on-demand'],
          [sha(b), 'cache-on-serve'],
        ],
      );
      // lazy made immediate: every file it lists must be in the pool, b included.
      await store.transaction((tx) => tx.setMirrorConfig('lazy', config));
      assert.deepEqual([...(await store.deferredFiles())], []);
      assert.equal(await store.onDemandSource(sha(a)), undefined);
    });
  });

  describe(`${backend.name} store: repos, snapshots, publishes`, { skip: backend.skip }, () => {
    const stores = backend.fixture();
    let store: Store;
    before(async () => {
      store = await stores.open('two');
    });

    test('a repo gains and loses packages by identity; a package is stored once across sets', async () => {
      await store.transaction((tx) => tx.createRepo('r', 'mine', 't0'));
      await assert.rejects(store.transaction((tx) => tx.createRepo('r', '', 't0')), isCode('DEBSTASH_E_REPO_EXISTS'));
      const a = pkg('a', '1', 'a');
      const b = pkg('b', '2', 'b');
      await store.transaction((tx) => tx.addRepoPackages('r', [a, b, a]));
      assert.deepEqual((await store.repoPackages('r')).map((p) => p.name), ['a', 'b']);
      assert.equal((await store.getRepo('r'))?.packageCount, 2);
      await store.transaction((tx) => tx.removeRepoPackages('r', [a]));
      assert.deepEqual((await store.repoPackages('r')).map((p) => p.name), ['b']);
      await store.transaction((tx) => tx.createSnapshot('s1', 'from r', [{ kind: 'repo', name: 'r' }], [a, b], 't1'));
      assert.deepEqual(await store.getSnapshot('s1'), { name: 's1', description: 'from r', createdAt: 't1', origins: [{ kind: 'repo', name: 'r' }], packageCount: 2 });
      assert.deepEqual((await store.snapshotPackages('s1')).map((p) => p.files[0]?.sha256), [a.files[0]?.sha256, b.files[0]?.sha256]);
      await assert.rejects(store.transaction((tx) => tx.createSnapshot('s1', '', [], [], 't')), isCode('DEBSTASH_E_SNAPSHOT_EXISTS'));
      await store.transaction((tx) => tx.dropRepo('r'));
      assert.equal((await store.snapshotPackages('s1')).length, 2, 'the snapshot keeps what it froze');
      await assert.rejects(store.repoPackages('r'), isCode('DEBSTASH_E_REPO_NOT_FOUND'));
      await store.transaction((tx) => tx.dropSnapshot('s1'));
      await assert.rejects(store.snapshotPackages('s1'), isCode('DEBSTASH_E_SNAPSHOT_NOT_FOUND'));
    });

    test('publishes are keyed by prefix and dist', async () => {
      const rec = {
        prefix: '',
        dist: 'stable',
        source: { kind: 'snapshot' as const, name: 's' },
        architectures: ['amd64'],
        meta: { origin: 'o', label: 'l', suite: 'stable', codename: 'stable' },
        keyFingerprint: 'F'.repeat(40),
        createdAt: 't',
        updatedAt: 't',
        releaseSha256: '0'.repeat(64),
      };
      await store.transaction((tx) => tx.savePublish(rec));
      // The time travel settings (public URL, generations kept) are part of the record.
      await store.transaction((tx) => tx.savePublish({ ...rec, source: { kind: 'snapshot', name: 's2' }, publicUrl: 'http://mirror.internal:8080', keepGenerations: 7 }));
      assert.deepEqual((await store.listPublishes()).map((p) => p.source.name), ['s2']);
      const saved = await store.getPublish('', 'stable');
      assert.deepEqual([saved?.source.name, saved?.publicUrl, saved?.keepGenerations], ['s2', 'http://mirror.internal:8080', 7]);
      await store.transaction((tx) => tx.dropPublish('', 'stable'));
      assert.equal(await store.getPublish('', 'stable'), undefined);
    });

    test('signing keys: added once, kept byte for byte, listed by fingerprint; one default, seen by a second connection', async () => {
      const key = (c: string): SigningKeyRecord => ({
        fingerprint: c.repeat(40),
        // What an encrypted armored key looks like to the store: text kept exactly, newlines and all.
        secretArmored: `-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n${c}ü\r\n-----END PGP PRIVATE KEY BLOCK-----\n`,
        publicArmored: `-----BEGIN PGP PUBLIC KEY BLOCK-----\n${c}\n`,
        algorithm: 'ed25519',
        userId: `Key ${c} <${c}@example.org>`,
        createdAt: '2026-12-06T00:00:00.000Z',
      });
      const other = await stores.open('two');
      assert.deepEqual(await store.listSigningKeys(), []);
      assert.equal(await store.defaultSigningKey(), undefined);
      assert.equal(await store.transaction((tx) => tx.addSigningKey(key('B'))), true);
      assert.equal(await store.transaction((tx) => tx.addSigningKey(key('A'))), true);
      assert.equal(await store.transaction((tx) => tx.addSigningKey({ ...key('A'), userId: 'changed' })), false);
      assert.deepEqual(await other.listSigningKeys(), [key('A'), key('B')]);
      assert.deepEqual(await other.getSigningKey('A'.repeat(40)), key('A'));
      assert.equal(await other.getSigningKey('C'.repeat(40)), undefined);
      await store.transaction((tx) => tx.setDefaultSigningKey('B'.repeat(40)));
      assert.equal(await other.defaultSigningKey(), 'B'.repeat(40));
      await store.transaction((tx) => tx.setDefaultSigningKey('A'.repeat(40)));
      assert.equal(await other.defaultSigningKey(), 'A'.repeat(40));
      // A failed transaction adds nothing and leaves the default.
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.addSigningKey(key('C'));
          await tx.setDefaultSigningKey('C'.repeat(40));
          throw new Error('rolled back');
        }),
        /rolled back/,
      );
      assert.equal(await other.getSigningKey('C'.repeat(40)), undefined);
      assert.equal(await other.defaultSigningKey(), 'A'.repeat(40));
    });
  });
}
