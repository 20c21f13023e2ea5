import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseDeb822 } from '../../src/deb/deb822-parse.js';
import { DebstashError } from '../../src/errors/debstash-error.js';
import { closeContext, type Context, openEmbeddedContext } from '../../src/model/context.js';
import { createMirror, showMirror } from '../../src/model/mirror-admin.js';
import type { MirrorConfigInput } from '../../src/model/mirror-config.js';
import { updateMirror, type UpdateMirrorOptions } from '../../src/model/mirror-update.js';
import type { ProgressEvent } from '../../src/model/progress.js';
import type { PackageEntry } from '../../src/store/records.js';
import { UpstreamClient } from '../../src/upstream/http-client.js';
import type { DebSpec } from '../helpers/build-deb.js';
import { FaultServer } from '../helpers/fault-server.js';
import { buildArchive, makeTestKey, rewriteIndex, type TestKey } from '../helpers/fixture-archive.js';

const isCode = (...codes: string[]) => (e: unknown) => e instanceof DebstashError && codes.includes(e.code);
const defaults = { architectures: ['amd64'], keyrings: [] };
const deb = (name: string, version: string, extraFields: Record<string, string> = {}): DebSpec => ({ name, version, architecture: 'amd64', extraFields });

/**
 * Binaries and the sources they come from, in the three ways a Packages entry names its source:
 * no Source field (same name and version), `Source: NAME` (another name, same version) and
 * `Source: NAME (VERSION)` (a binNMU, whose binary version has a +bN suffix).
 */
const BINARIES: readonly DebSpec[] = [
  deb('hello', '1.0-1'),
  deb('libsrc1', '2.0-1', { Source: 'srcname' }),
  deb('srcname-tools', '2.0-1+b1', { Source: 'srcname (2.0-1)' }),
  deb('nmu-bin', '3.0-2+b1', { Source: 'nmu (3.0-2)' }),
  deb('nat', '5'),
  deb('epo', '1:1.0-1'),
  deb('orphan', '1.0', { Source: 'gone' }),
  deb('orphan-too', '1.0', { Source: 'gone' }),
  deb('other', '1.0'),
  // Its first alternative exists only as a udeb, which apt cannot install.
  deb('needs-di', '1', { Depends: 'di-utils | hello' }),
];
const SELECTED = 'hello | libsrc1 | srcname-tools | nmu-bin | nat | epo | orphan | orphan-too';

describe('mirror update --with-sources / --with-udebs against a reprepro-built upstream on 127.0.0.1', () => {
  let dir = '';
  let key: TestKey;
  let archive: string;
  let client: UpstreamClient | undefined;
  let keyMade: TestKey | undefined;
  const contexts: Context[] = [];
  const servers: FaultServer[] = [];
  let server: FaultServer;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'debstash-sources-'));
    key = keyMade = await makeTestKey(dir);
    archive = await buildArchive(dir, {
      codename: 'testing',
      architectures: ['amd64'],
      key,
      distributionFields: { ValidFor: '7d' },
      components: { main: BINARIES, contrib: [deb('extra', '1')] },
      sources: {
        main: [
          { name: 'hello', version: '1.0-1', binaries: ['hello', 'hello-udeb'] },
          { name: 'srcname', version: '2.0-1', binaries: ['libsrc1', 'srcname-tools'] },
          { name: 'nmu', version: '3.0-2', binaries: ['nmu-bin'] },
          { name: 'nat', version: '5', format: '3.0 (native)' },
          { name: 'epo', version: '1:1.0-1' },
          { name: 'other', version: '1.0', format: '3.0 (native)' },
        ],
        contrib: [],
      },
      // Only main has a debian-installer part, as in the real archives.
      udebs: {
        main: [
          deb('hello-udeb', '1.0-1', { Source: 'hello', Section: 'debian-installer' }),
          deb('di-utils', '1.0', { Section: 'debian-installer' }),
          // Its dependency exists only as a deb, which the installer cannot use.
          deb('di-needs-deb', '1', { Section: 'debian-installer', Depends: 'libsrc1' }),
        ],
      },
    });
    server = await FaultServer.start(archive);
    servers.push(server);
    client = new UpstreamClient({ retries: 2, retryBaseDelayMs: 5, retryMaxDelayMs: 20, headersTimeoutMs: 400, bodyIdleTimeoutMs: 400, downloadAttempts: 2 });
  });

  // Also after a failed before(): no server, gpg-agent or directory is left behind.
  after(async () => {
    await client?.close();
    for (const ctx of contexts) await closeContext(ctx);
    for (const s of servers) await s.close();
    await keyMade?.close();
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  async function mirrored(url: string, more: Partial<MirrorConfigInput> = {}): Promise<Context> {
    const ctx = await openEmbeddedContext(await mkdtemp(join(dir, 'data-')));
    contexts.push(ctx);
    await createMirror(ctx, 'm', { url, dist: 'testing', components: ['main'], architectures: ['amd64'], filter: SELECTED, keyrings: [key.keyring], ...more }, defaults);
    return ctx;
  }

  /** A copy of the archive on its own server, for tests that damage it. */
  async function copy(): Promise<{ archive: string; server: FaultServer }> {
    const target = await mkdtemp(join(dir, 'copy-'));
    await cp(archive, target, { recursive: true });
    const s = await FaultServer.start(target);
    servers.push(s);
    return { archive: target, server: s };
  }

  const update = (ctx: Context, options: UpdateMirrorOptions = {}) => updateMirror(ctx, 'm', { client, ...options });
  const ids = (entries: readonly PackageEntry[], kind: string): string[] =>
    entries.filter((p) => p.kind === kind).map((p) => `${p.name} ${p.version} ${p.architecture}`);

  /** Every file of every entry is in the pool with its size and SHA-256, and byte-equal to the archive's. */
  async function assertInPool(ctx: Context, entries: readonly PackageEntry[]): Promise<void> {
    for (const p of entries) {
      for (const f of p.files) {
        const bytes = await readFile(ctx.pool.localPath(f.sha256) ?? '');
        assert.equal(bytes.length, f.size, f.path);
        assert.equal(createHash('sha256').update(bytes).digest('hex'), f.sha256, f.path);
        assert.ok(bytes.equals(await readFile(join(archive, f.path))), `${f.path} is the archive's file`);
      }
    }
  }

  test('the sources of the selected binaries, every file verified in the pool', async () => {
    const ctx = await mirrored(server.url, { withSources: true });
    const events: ProgressEvent[] = [];
    const r = await update(ctx, { progress: (e) => events.push(e) });
    const entries = await ctx.store.mirrorPackages('m');
    assert.deepEqual(ids(entries, 'source'), ['epo 1:1.0-1 source', 'hello 1.0-1 source', 'nat 5 source', 'nmu 3.0-2 source', 'srcname 2.0-1 source']);
    assert.equal(ids(entries, 'deb').length, 8);
    assert.equal(r.packages, entries.length);

    // Each source as the Sources index lists it: the .dsc first, then its tarballs, under Directory.
    const sourcesIndex = await readFile(join(archive, 'dists/testing/main/source/Sources'), 'utf8');
    const listed = new Map(parseDeb822(sourcesIndex).map((p) => [`${p.get('Package')} ${p.get('Version')}`, p]));
    for (const s of entries.filter((p) => p.kind === 'source')) {
      const paragraph = listed.get(`${s.name} ${s.version}`);
      assert.ok(paragraph, `${s.name} is in Sources`);
      const directory = paragraph.get('Directory') ?? '';
      assert.match(directory, /^pool\/main\//);
      const expected = (paragraph.get('Checksums-Sha256') ?? '')
        .split('\n')
        .map((line) => line.trim().split(/\s+/))
        .filter((parts) => parts.length === 3)
        .map(([sha256, size, name]) => ({ path: `${directory}/${name}`, sha256, size: Number(size) }));
      assert.equal(s.files[0]?.path.endsWith('.dsc'), true, `${s.name}: .dsc first`);
      assert.deepEqual([...s.files].sort((a, b) => a.path.localeCompare(b.path)), expected.sort((a, b) => a.path.localeCompare(b.path)));
      assert.equal(s.component, 'main');
      assert.equal(s.architecture, 'source');
    }
    const names = (name: string): string[] => (entries.find((p) => p.kind === 'source' && p.name === name)?.files ?? []).map((f) => f.path.slice(f.path.lastIndexOf('/') + 1)).sort();
    assert.deepEqual(names('hello'), ['hello_1.0-1.debian.tar.xz', 'hello_1.0-1.dsc', 'hello_1.0.orig.tar.gz']);
    assert.deepEqual(names('nat'), ['nat_5.dsc', 'nat_5.tar.xz']);
    assert.deepEqual(names('epo'), ['epo_1.0-1.debian.tar.xz', 'epo_1.0-1.dsc', 'epo_1.0.orig.tar.gz']);
    await assertInPool(ctx, entries);
    // The `mirror show` summary of a source names its .dsc.
    const shown = await showMirror(ctx, 'm');
    assert.equal(shown.packages.find((p) => p.name === 'srcname' && p.architecture === 'source')?.filename, 'pool/main/s/srcname/srcname_2.0-1.dsc');

    // Binaries whose source the upstream does not carry: one entry each, naming the missing source.
    const missing = [
      { package: 'orphan-too_1.0_amd64', dependency: 'source gone (= 1.0)' },
      { package: 'orphan_1.0_amd64', dependency: 'source gone (= 1.0)' },
    ];
    assert.deepEqual(shown.unresolved, missing);
    assert.deepEqual([...r.unresolved].sort((a, b) => (a.package < b.package ? -1 : 1)), missing);
    assert.ok(events.some((e) => e.type === 'warning' && e.message.includes('orphan_1.0_amd64') && e.message.includes('gone')));
    await assert.rejects(update(await mirrored(server.url, { withSources: true }), { strictDeps: true }), isCode('DEBSTASH_E_UNRESOLVED_DEPENDENCIES'));
  });

  test('an upstream whose Release lists no Sources: a warning, and each binary\'s source unresolved', async () => {
    const plainDir = await mkdtemp(join(dir, 'no-sources-'));
    const plainArchive = await buildArchive(plainDir, { codename: 'testing', architectures: ['amd64'], key, components: { main: [deb('hello', '1.0-1')] } });
    const s = await FaultServer.start(plainArchive);
    servers.push(s);
    const ctx = await mirrored(s.url, { filter: 'hello', withSources: true });
    const events: ProgressEvent[] = [];
    await update(ctx, { progress: (e) => events.push(e) });
    assert.deepEqual((await ctx.store.mirrorPackages('m')).map((p) => `${p.kind} ${p.name}`), ['deb hello']);
    assert.deepEqual((await showMirror(ctx, 'm')).unresolved, [{ package: 'hello_1.0-1_amd64', dependency: 'source hello (= 1.0-1)' }]);
    assert.ok(events.some((e) => e.type === 'warning' && e.message.includes('lists no main/source/Sources')));
  });

  test('without --with-sources no source package, no Sources index read', async () => {
    const ctx = await mirrored(server.url, { filter: 'hello' });
    server.resetStats();
    await update(ctx);
    assert.deepEqual(ids(await ctx.store.mirrorPackages('m'), 'source'), []);
    assert.equal(server.requests.some((q) => q.path.includes('/source/')), false);
  });

  test('--with-udebs mirrors the debian-installer udebs as kind udeb; without it there are none', async () => {
    const filter = 'hello | hello-udeb | di-utils';
    const plain = await mirrored(server.url, { filter });
    await update(plain);
    assert.deepEqual(
      (await plain.store.mirrorPackages('m')).map((p) => `${p.kind} ${p.name}`),
      ['deb hello'],
    );
    assert.equal(server.requests.some((q) => q.path.includes('debian-installer')), false);

    const ctx = await mirrored(server.url, { filter, withUdebs: true, withSources: true });
    await update(ctx);
    const entries = await ctx.store.mirrorPackages('m');
    assert.deepEqual(ids(entries, 'udeb'), ['di-utils 1.0 amd64', 'hello-udeb 1.0-1 amd64']);
    assert.deepEqual(ids(entries, 'deb'), ['hello 1.0-1 amd64']);
    // The udeb's source is the deb's: listed once. di-utils' is not in Sources.
    assert.deepEqual(ids(entries, 'source'), ['hello 1.0-1 source']);
    for (const u of entries.filter((p) => p.kind === 'udeb')) assert.match(u.files[0]?.path ?? '', /^pool\/main\/.*\.udeb$/);
    await assertInPool(ctx, entries);
    assert.deepEqual((await showMirror(ctx, 'm')).unresolved, [{ package: 'di-utils_1.0_amd64', dependency: 'source di-utils (= 1.0)' }]);
  });

  test('with dependencies, a deb depends on debs only and a udeb on udebs only', async () => {
    const ctx = await mirrored(server.url, { filter: 'needs-di | di-needs-deb', withUdebs: true, withDeps: true });
    await update(ctx);
    assert.deepEqual((await ctx.store.mirrorPackages('m')).map((p) => `${p.kind} ${p.name}`), ['udeb di-needs-deb', 'deb hello', 'deb needs-di']);
    assert.deepEqual((await showMirror(ctx, 'm')).unresolved, [{ package: 'di-needs-deb_1_amd64', dependency: 'libsrc1' }]);
  });

  test('a component whose Release lists no debian-installer index: a warning, not a failure', async () => {
    const ctx = await mirrored(server.url, { filter: 'hello | extra | di-utils', components: ['main', 'contrib'], withUdebs: true });
    const events: ProgressEvent[] = [];
    await update(ctx, { progress: (e) => events.push(e) });
    assert.deepEqual((await ctx.store.mirrorPackages('m')).map((p) => `${p.kind} ${p.name}`), ['udeb di-utils', 'deb extra', 'deb hello']);
    const warnings = events.flatMap((e) => (e.type === 'warning' ? [e.message] : []));
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0] ?? '', /contrib\/debian-installer\/binary-amd64\/Packages/);
  });

  test('a re-update with nothing changed downloads nothing', async () => {
    const ctx = await mirrored(server.url, { withSources: true, withUdebs: true, filter: `${SELECTED} | hello-udeb` });
    const first = await update(ctx);
    assert.ok(first.downloadFiles > 0);
    const before = await ctx.store.mirrorPackages('m');

    server.resetStats();
    const again = await update(ctx);
    assert.equal(again.upToDate, true);
    assert.deepEqual(server.requests.map((q) => q.path), ['/dists/testing/InRelease']);

    // Forced to select again: same set, indexes from the cache, not one file downloaded.
    server.resetStats();
    const forced = await update(ctx, { force: true });
    assert.equal(forced.upToDate, false);
    assert.deepEqual([forced.downloadFiles, forced.downloadBytes, forced.added, forced.removed], [0, 0, [], []]);
    assert.deepEqual(server.requests.filter((q) => q.path.startsWith('/pool/')), []);
    assert.deepEqual(await ctx.store.mirrorPackages('m'), before);
  });

  describe('hostile Sources entries are refused, the previous state intact', () => {
    async function expectIntact(ctx: Context, s: FaultServer, attempt: () => Promise<unknown>, ...codes: string[]): Promise<void> {
      const before = await ctx.store.mirrorPackages('m');
      s.resetStats();
      await assert.rejects(attempt(), isCode(...codes));
      assert.deepEqual(await ctx.store.mirrorPackages('m'), before);
      assert.deepEqual(await readdir(join(ctx.dataDir, 'pool', '.tmp')), [], 'no partial file in the pool');
      assert.deepEqual(s.requests.filter((q) => q.path.startsWith('/pool/') || q.path.includes('etc')), [], 'nothing downloaded');
    }

    for (const [what, edit, codes] of [
      ['a Directory that climbs out with ".."', (text: string) => text.replace('Directory: pool/main/h/hello', 'Directory: ../../etc'), ['DEBSTASH_E_UNSAFE_PATH']],
      ['an absolute Directory', (text: string) => text.replace('Directory: pool/main/h/hello', 'Directory: /etc'), ['DEBSTASH_E_UNSAFE_PATH']],
      ['a file name with a "/"', (text: string) => text.replace(/^( [0-9a-f]{64} +\d+ )hello_1\.0-1\.dsc$/m, '$1../../../../etc/passwd'), ['DEBSTASH_E_UNSAFE_PATH', 'DEBSTASH_E_INDEX_INVALID']],
      ['a file name ".."', (text: string) => text.replace(/^( [0-9a-f]{64} +\d+ )hello_1\.0-1\.dsc$/m, '$1..'), ['DEBSTASH_E_UNSAFE_PATH', 'DEBSTASH_E_INDEX_INVALID']],
      // A line that does not parse must not silently drop a file from the package.
      ['a Checksums-Sha256 line with a fourth word', (text: string) => text.replace(/^( [0-9a-f]{64} +\d+ hello_1\.0\.orig\.tar\.gz)$/m, '$1 extra'), ['DEBSTASH_E_INDEX_INVALID']],
      ['an entry whose Checksums-Sha256 lists no .dsc', (text: string) => text.replace(/^ [0-9a-f]{64} +\d+ hello_1\.0-1\.dsc\n/m, ''), ['DEBSTASH_E_INDEX_INVALID']],
    ] as const) {
      test(what, async () => {
        const { archive: copied, server: s } = await copy();
        const ctx = await mirrored(s.url, { withSources: true, filter: 'hello | nat' });
        await update(ctx);
        let edited = '';
        await rewriteIndex(copied, 'testing', 'main/source/Sources', (text) => (edited = edit(text)), key);
        assert.notEqual(edited, await readFile(join(archive, 'dists/testing/main/source/Sources'), 'utf8'), 'the edit applied');
        await expectIntact(ctx, s, () => update(ctx), ...codes);
      });
    }
  });
});
