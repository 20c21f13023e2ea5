import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { ErrorCode } from '../../src/errors/codes.js';
import type { Context } from '../../src/model/context.js';
import { createMirror, editMirror, showMirror } from '../../src/model/mirror-admin.js';
import type { MirrorConfigInput } from '../../src/model/mirror-config.js';
import { updateMirror, type UpdateMirrorOptions } from '../../src/model/mirror-update.js';
import type { ProgressEvent } from '../../src/model/progress.js';
import { buildArchive, makeTestKey, rewriteIndex } from '../helpers/fixture-archive.js';
import { isCode } from '../helpers/coded-error.js';
import { FaultServer } from '../helpers/fault-server.js';
import { FILTER, type MirrorFixture, mirrorFixture, UPSTREAM } from './mirror-fixture.js';

const run = promisify(execFile);
const defaults = { architectures: ['amd64'], keyrings: [] };

describe('mirror update against a reprepro-built, gpg-signed upstream on 127.0.0.1', () => {
  let fx: MirrorFixture;
  before(async () => {
    fx = await mirrorFixture();
  });
  after(() => fx.close());

  const input = (url: string, more: Partial<MirrorConfigInput> = {}): MirrorConfigInput => ({
    url,
    dist: 'testing',
    components: ['main', 'contrib'],
    architectures: ['amd64', 'i386'],
    filter: FILTER,
    withDeps: true,
    keyrings: [fx.key.keyring],
    ...more,
  });

  async function mirrored(url: string, more: Partial<MirrorConfigInput> = {}): Promise<Context> {
    const ctx = await fx.context();
    await createMirror(ctx, 'm', input(url, more), defaults);
    return ctx;
  }

  const update = (ctx: Context, options: UpdateMirrorOptions = {}) => updateMirror(ctx, 'm', { client: fx.client, ...options });
  const names = async (ctx: Context): Promise<string[]> => (await showMirror(ctx, 'm')).packages.map((p) => `${p.name}:${p.architecture}`);

  const EXPECTED = [
    'app:amd64',
    'base:amd64',
    'broken:amd64',
    'cycle-a:all',
    'cycle-b:all',
    'exim:amd64',
    'extra:amd64',
    'i386-app:i386',
    'libfoo-common:all',
    'libfoo1:amd64',
    'libfoo1:i386',
    'needs-virt:all',
    'pyvirt:all',
    'tool:amd64',
  ];

  test('selects the matches and exactly their dependencies; files verified in the pool', async () => {
    const ctx = await mirrored(fx.server.url);
    const events: ProgressEvent[] = [];
    const r = await update(ctx, { progress: (e) => events.push(e) });
    assert.equal(r.upToDate, false);
    // The first alternative's provider (exim, by name among equals) and nothing else:
    // postfix is not added for "mail-transport-agent | postfix", unrelated never.
    assert.deepEqual(await names(ctx), EXPECTED);
    const shown = await showMirror(ctx, 'm');
    assert.deepEqual(shown.unresolved, [{ package: 'broken_1_amd64', dependency: 'missing-package (>= 2)' }]);
    assert.ok(events.some((e) => e.type === 'warning' && e.message.includes('missing-package')));
    for (const p of shown.packages) {
      const bytes = await readFile(ctx.pool.localPath(p.sha256) ?? '');
      assert.equal(bytes.length, p.size);
      assert.equal(createHash('sha256').update(bytes).digest('hex'), p.sha256);
      assert.equal(p.filename.startsWith('pool/'), true);
    }
    const last = events.filter((e) => e.type === 'progress').at(-1);
    assert.deepEqual(last && last.type === 'progress' ? [last.done, last.total] : [], [r.downloadFiles, r.downloadFiles]);

    // Same inputs, same answer: a second data dir selects the identical set.
    const again = await mirrored(fx.server.url);
    await update(again);
    assert.deepEqual(await showMirror(again, 'm').then((d) => d.packages), shown.packages);
  });

  const poolFiles = async (ctx: Context): Promise<string[]> => {
    const listed: string[] = [];
    for await (const f of ctx.pool.list()) listed.push(f);
    return listed.sort();
  };

  test('an unchanged upstream costs one conditional request and changes nothing', async () => {
    const ctx = await mirrored(fx.server.url);
    await update(ctx);
    const before = await showMirror(ctx, 'm');
    const pool = await poolFiles(ctx);
    const sync = (await ctx.store.getMirror('m'))?.sync;
    fx.server.resetStats();
    const r = await update(ctx);
    assert.equal(r.upToDate, true);
    assert.deepEqual([r.downloadFiles, r.added, r.removed], [0, [], []]);
    assert.equal(fx.server.requests.length, 1, fx.server.requests.map((q) => q.path).join(', '));
    assert.equal(fx.server.requests[0]?.path, '/dists/testing/InRelease');
    assert.ok(fx.server.requests[0]?.headers['if-none-match'] !== undefined || fx.server.requests[0]?.headers['if-modified-since'] !== undefined, 'conditional');
    assert.deepEqual((await showMirror(ctx, 'm')).packages, before.packages);
    assert.deepEqual((await showMirror(ctx, 'm')).unresolved, before.unresolved);
    assert.deepEqual(await poolFiles(ctx), pool);
    // Only the time of the check is written (the freshness metric reads it); what was verified stays.
    assert.deepEqual((await ctx.store.getMirror('m'))?.sync, sync);
    // An edited filter re-selects even though upstream did not change.
    await editMirror(ctx, 'm', { filter: 'base' });
    const edited = await update(ctx);
    assert.equal(edited.upToDate, false);
    assert.deepEqual(await names(ctx), ['base:amd64']);
    assert.equal(edited.downloadFiles, 0, 'every file is in the pool already');
  });

  test('dry run reports additions and bytes, downloads and commits nothing', async () => {
    const ctx = await mirrored(fx.server.url);
    const r = await update(ctx, { dryRun: true });
    assert.equal(r.dryRun, true);
    assert.equal(r.added.length, EXPECTED.length);
    assert.ok(r.downloadBytes > 0);
    assert.deepEqual(await names(ctx), []);
    const listed: string[] = [];
    for await (const f of ctx.pool.list()) listed.push(f);
    assert.deepEqual(listed, []);
  });

  test('someone else\'s checker agrees: dose-distcheck finds only the package upstream left broken', async (t) => {
    const ctx = await mirrored(fx.server.url);
    await update(ctx);
    const stanzas = (await ctx.store.mirrorPackages('m')).map((p) => p.stanza).join('\n');
    const file = join(await mkdtemp(join(fx.dir, 'dose-')), 'Packages');
    await writeFile(file, stanzas);
    let out: string;
    try {
      // dose-distcheck exits 1 when it finds broken packages: its report is still on stdout.
      out = (
        await run('dose-distcheck', ['--deb-native-arch=amd64', '--deb-foreign-archs=i386', '-f', '-e', `deb://${file}`]).catch(
          (e: NodeJS.ErrnoException & { stdout?: string }) => {
            if (e.code === 'ENOENT') throw e;
            return { stdout: e.stdout ?? '' };
          },
        )
      ).stdout;
    } catch {
      t.skip('dose-distcheck is not installed (apt-get install dose-distcheck)');
      return;
    }
    // Each report item starts "  package: NAME" (the reasons repeat it deeper indented).
    const broken = [...out.matchAll(/^ {2}package: (\S+)$/gm)].map((m) => m[1]);
    assert.deepEqual(broken, ['broken'], out);
    assert.match(out, /^broken-packages: 1$/m);
  });

  test('deps-from: a dependency another mirror carries is satisfied there, not copied', async () => {
    const ctx = await mirrored(fx.server.url);
    await update(ctx);
    const secDir = await mkdtemp(join(fx.dir, 'security-'));
    const secKey = await makeTestKey(secDir, 'Security Archive');
    try {
      const secArchive = await buildArchive(secDir, {
        codename: 'testing-security',
        architectures: ['amd64'],
        key: secKey,
        components: {
          main: [
            { name: 'secfix', version: '1.0-1+deb1', architecture: 'amd64', extraFields: { Depends: 'libfoo1 (>= 1.0), newlib' } },
            { name: 'newlib', version: '1', architecture: 'amd64' },
          ],
        },
      });
      const secServer = await FaultServer.start(secArchive);
      try {
        await createMirror(ctx, 'sec', { url: secServer.url, dist: 'testing-security', architectures: ['amd64'], filter: 'secfix', withDeps: true, keyrings: [secKey.keyring], depsFrom: ['m'] }, defaults);
        await updateMirror(ctx, 'sec', { client: fx.client });
        const sec = await showMirror(ctx, 'sec');
        assert.deepEqual(sec.packages.map((p) => p.name), ['newlib', 'secfix']);
        assert.deepEqual(sec.unresolved, []);
      } finally {
        await secServer.close();
      }
    } finally {
      await secKey.close();
    }
  });

  test('downloads that start while the indexes are read give the same set and pool as downloads after selection', async () => {
    // strictFilter holds every download back until selection is done; the default starts the
    // filter's matches at once. Same upstream, same answer, same files.
    const overlap = await mirrored(fx.server.url);
    const events: ProgressEvent[] = [];
    const r = await update(overlap, { progress: (e) => events.push(e) });
    const firstSelect = events.findIndex((e) => e.type === 'phase' && e.phase === 'resolve');
    assert.ok(events.slice(0, firstSelect).some((e) => e.type === 'progress' && e.done > 0), 'some downloads finished before selection began');
    const after = await mirrored(fx.server.url);
    const s = await update(after, { strictFilter: true });
    const [a, b] = [await showMirror(overlap, 'm'), await showMirror(after, 'm')];
    assert.deepEqual([a.packages, a.unresolved], [b.packages, b.unresolved]);
    assert.deepEqual(await poolFiles(overlap), await poolFiles(after));
    assert.deepEqual([r.downloadFiles, r.downloadBytes, r.added], [s.downloadFiles, s.downloadBytes, s.added]);
    const last = events.filter((e) => e.type === 'progress').at(-1);
    assert.deepEqual(last && last.type === 'progress' ? [last.done, last.total] : [], [r.downloadFiles, r.downloadFiles]);
  });

  test('downloads at once never exceed the bound', async () => {
    const { server } = await fx.copy();
    server.inject(/\.deb$/, { delayMs: 20 });
    const ctx = await mirrored(server.url);
    // No client handed in: the update's own, sized to the bound, as the CLI runs it.
    await updateMirror(ctx, 'm', { concurrency: 3 });
    assert.deepEqual(await names(ctx), EXPECTED);
    assert.ok(server.maxInFlight <= 3 && server.maxInFlight >= 2, `most requests at once: ${server.maxInFlight}`);
  });

  describe('bad upstreams: a coded error, and the previous state intact', () => {
    async function expectIntact(ctx: Context, attempt: () => Promise<unknown>, code: ErrorCode): Promise<void> {
      const before = await showMirror(ctx, 'm');
      await assert.rejects(attempt(), isCode(code));
      const after = await showMirror(ctx, 'm');
      assert.deepEqual(after.packages, before.packages);
      assert.deepEqual(await readdir(join(ctx.dataDir, 'pool', '.tmp')), [], 'no partial file in the pool');
    }

    test('InRelease signed by a key not in the keyring', async () => {
      const ctx = await mirrored(fx.server.url);
      await update(ctx);
      const other = await makeTestKey(await mkdtemp(join(fx.dir, 'other-')), 'Someone Else');
      try {
        await editMirror(ctx, 'm', { keyrings: [other.keyring] });
        await expectIntact(ctx, () => update(ctx), 'DEBSTASH_E_SIGNATURE_UNKNOWN_KEY');
      } finally {
        await other.close();
      }
    });

    test('InRelease whose signed text was altered', async () => {
      const { archive, server } = await fx.copy();
      const ctx = await mirrored(server.url);
      const path = join(archive, 'dists/testing/InRelease');
      await writeFile(path, (await readFile(path, 'utf8')).replace('Debstash Tests', 'Debstash Te5ts'));
      await expectIntact(ctx, () => update(ctx), 'DEBSTASH_E_SIGNATURE_INVALID');
    });

    test('Release past its Valid-Until', async () => {
      const ctx = await mirrored(fx.server.url);
      await expectIntact(ctx, () => update(ctx, { now: new Date(Date.now() + 30 * 86400_000) }), 'DEBSTASH_E_RELEASE_STALE');
    });

    test('an index that differs from the hash the signed Release lists', async () => {
      const { archive, server } = await fx.copy();
      const ctx = await mirrored(server.url);
      const xz = await readFile(join(archive, 'dists/testing/contrib/binary-amd64/Packages.xz'));
      server.inject('/dists/testing/main/binary-amd64/Packages.xz', { body: xz });
      await expectIntact(ctx, () => update(ctx), 'DEBSTASH_E_INDEX_HASH_MISMATCH');
    });

    test('a .deb whose bytes differ from its index entry: retried, then the update fails naming it', async () => {
      const { server } = await fx.copy();
      const ctx = await mirrored(server.url);
      const path = '/pool/main/a/app/app_1.0-1_amd64.deb';
      server.inject(path, { body: Buffer.from('not the package') });
      await assert.rejects(update(ctx), isCode('DEBSTASH_E_POOL_HASH_MISMATCH', /app_1\.0-1_amd64\.deb/));
      assert.ok(server.count(path) >= 2, `retried (${server.count(path)} requests)`);
      assert.deepEqual(await names(ctx), []);
    });

    for (const [what, hostile] of [
      ['climbs out with ".."', '../../../../etc/passwd'],
      ['is absolute', '/etc/passwd'],
    ] as const) {
      test(`a Filename that ${what} is refused`, async () => {
        const { archive, server } = await fx.copy();
        const ctx = await mirrored(server.url);
        await rewriteIndex(archive, 'testing', 'main/binary-amd64/Packages', (text) => text.replace('Filename: pool/main/a/app/app_1.0-1_amd64.deb', `Filename: ${hostile}`), fx.key);
        await expectIntact(ctx, () => update(ctx), 'DEBSTASH_E_UNSAFE_PATH');
        assert.equal(server.requests.some((q) => q.path.includes('passwd')), false, 'nothing was fetched from the hostile path');
      });
    }

    test('an upstream that hangs times out', async () => {
      const { server } = await fx.copy();
      const ctx = await mirrored(server.url);
      server.inject('/dists/testing/InRelease', { hang: true });
      await expectIntact(ctx, () => update(ctx), 'DEBSTASH_E_UPSTREAM_TIMEOUT');
    });

    test('a filter with a syntax error is refused at create, with its column', async () => {
      const ctx = await fx.context();
      await assert.rejects(createMirror(ctx, 'm', input(fx.server.url, { filter: 'app | (base' }), defaults), (e: unknown) => isCode('DEBSTASH_E_QUERY_SYNTAX')(e) && /column 12/.test((e as Error).message));
    });

    test('--strict-deps turns an unsatisfiable dependency into an error before any download', async () => {
      const { server } = await fx.copy();
      const ctx = await mirrored(server.url);
      await expectIntact(ctx, () => update(ctx, { strictDeps: true }), 'DEBSTASH_E_UNRESOLVED_DEPENDENCIES');
      assert.equal(server.requests.some((q) => q.path.endsWith('.deb')), false);
    });

    test('a download that fails while the indexes are still read: nothing committed, nothing partial, then the same set', async () => {
      const { server } = await fx.copy();
      // app is a filter match in main, so its download starts before contrib's index is read.
      const path = '/pool/main/a/app/app_1.0-1_amd64.deb';
      server.inject(path, { status: 404, times: 1 });
      server.inject('/dists/testing/contrib/binary-amd64/Packages.xz', { delayMs: 200 });
      const ctx = await mirrored(server.url);
      await expectIntact(ctx, () => update(ctx), 'DEBSTASH_E_UPSTREAM_HTTP');
      assert.equal((await ctx.store.getMirror('m'))?.sync, undefined, 'no sync state committed');
      await update(ctx);
      assert.deepEqual(await names(ctx), EXPECTED);
    });

    test('cancelled mid-download: nothing committed, nothing partial', async () => {
      const { server } = await fx.copy();
      server.inject(/\.deb$/, { delayMs: 50 });
      const ctx = await mirrored(server.url);
      const ac = new AbortController();
      await expectIntact(
        ctx,
        () => update(ctx, { signal: ac.signal, concurrency: 2, progress: (e) => e.type === 'progress' && e.done >= 1 && ac.abort(new Error('test cancel')) }),
        'DEBSTASH_E_CANCELLED',
      );
    });
  });

  test('a body cut off mid-transfer is resumed with a Range request', async () => {
    const { server } = await fx.copy();
    const ctx = await mirrored(server.url);
    const path = '/pool/main/a/app/app_1.0-1_amd64.deb';
    server.inject(path, { truncateAfter: 100, times: 1 });
    await update(ctx);
    assert.ok((await names(ctx)).includes('app:amd64'));
    assert.ok(server.requests.some((q) => q.path === path && q.range !== undefined), 'resumed with Range');
  });

  describe('filter terms that match nothing', () => {
    const SCOPE = 'testing main,contrib amd64,i386';

    test('are warned about by name, in the result, as progress, and again while nothing changes', async () => {
      const ctx = await mirrored(fx.server.url, { filter: 'Priority (requird) | app' });
      const events: ProgressEvent[] = [];
      const r = await update(ctx, { progress: (e) => events.push(e) });
      const message = `filter term \`Priority (requird)\` matched no package in ${SCOPE}`;
      assert.deepEqual(r.warnings, [{ code: 'DEBSTASH_E_FILTER_UNMATCHED', message, term: 'Priority (requird)' }]);
      assert.ok(events.some((e) => e.type === 'warning' && e.code === 'DEBSTASH_E_FILTER_UNMATCHED' && e.message === `m: ${message}`));
      assert.ok((await names(ctx)).includes('app:amd64'), 'the other terms still select');
      const again = await update(ctx);
      assert.equal(again.upToDate, true);
      assert.deepEqual(again.warnings, r.warnings);
    });

    test('a misspelt field gets a "did you mean"', async () => {
      const ctx = await mirrored(fx.server.url, { filter: 'Priorty (required) | app' });
      const r = await update(ctx, { dryRun: true });
      assert.deepEqual(r.warnings, [
        {
          code: 'DEBSTASH_E_FILTER_UNMATCHED',
          message: `filter term \`Priorty (required)\` matched no package in ${SCOPE} (no package has a field Priorty: did you mean Priority?)`,
          term: 'Priorty (required)',
          unknownField: 'Priorty',
          didYouMean: 'Priority',
        },
      ]);
    });

    test('a term that matches in any one component or architecture is no warning', async () => {
      // FILTER's `extra` is only in contrib, its `i386-app` only in i386.
      const ctx = await mirrored(fx.server.url);
      assert.deepEqual((await update(ctx, { dryRun: true })).warnings, []);
    });

    test('strictFilter refuses them before any download and commits nothing', async () => {
      const { server } = await fx.copy();
      const ctx = await mirrored(server.url);
      await update(ctx);
      const state = async () => [(await showMirror(ctx, 'm')).packages, await ctx.store.getMirror('m').then((m) => [m?.updatedAt, m?.sync])];
      const before = await state();
      await editMirror(ctx, 'm', { filter: 'Priority (requird) | app | tool' });
      server.resetStats();
      await assert.rejects(update(ctx, { strictFilter: true }), isCode('DEBSTASH_E_FILTER_UNMATCHED', /^filter term `Priority \(requird\)` matched no package/));
      assert.equal(server.requests.some((q) => q.path.endsWith('.deb')), false);
      assert.deepEqual(await state(), before);
      // Warned once without it, the same unchanged mirror is refused with it.
      await update(ctx);
      await assert.rejects(update(ctx, { strictFilter: true }), isCode('DEBSTASH_E_FILTER_UNMATCHED'));
    });
  });

  test('a changed upstream: only changed indexes fetched, only new files downloaded', async () => {
    const ctx = await mirrored(fx.server.url);
    await update(ctx);
    await buildArchive(fx.dir, {
      codename: 'testing',
      architectures: ['amd64', 'i386'],
      key: fx.key,
      components: { main: [{ name: 'tool', version: '2.1', architecture: 'amd64', extraFields: { 'Multi-Arch': 'foreign' } }], contrib: [] },
      distributionFields: { ValidFor: '7d' },
    });
    fx.server.resetStats();
    const r = await update(ctx);
    assert.deepEqual(r.added.map((p) => `${p.name} ${p.version}`), ['tool 2.1']);
    assert.deepEqual(r.removed.map((p) => `${p.name} ${p.version}`), ['tool 2.0']);
    const paths = fx.server.requests.map((q) => q.path);
    assert.deepEqual(paths.filter((p) => p.endsWith('.deb')), ['/pool/main/t/tool/tool_2.1_amd64.deb']);
    assert.equal(paths.filter((p) => p.includes('/contrib/')).length, 0, `unchanged contrib indexes come from the cache: ${paths.join(', ')}`);
    assert.deepEqual(UPSTREAM.contrib?.map((p) => p.name), ['extra']);
  });
});
