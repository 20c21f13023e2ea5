import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { splitClearsigned } from '../../src/deb/clearsigned.js';
import { parseRelease, type ReleaseFile } from '../../src/deb/release.js';
import { DebstashError } from '../../src/errors/debstash-error.js';
import { publishTree, type PublishStep, type PublishTreeOptions } from '../../src/publish/publish-tree.js';
import { poolDirectory } from '../../src/publish/pool-layout.js';
import { stanzaField } from '../../src/publish/stanza-text.js';
import type { PackageEntry } from '../../src/store/records.js';
import { FaultServer } from '../helpers/fault-server.js';
import { gpgv } from '../helpers/gpg-home.js';
import { IsolatedApt } from '../helpers/isolated-apt.js';
import { listTree, publishFixture, sourcesEntry, tryApt, viewLocator, type PublishFixture } from './publish-fixture.js';
import { DirPool, entryOf, syntheticPackage } from './synthetic-repo.js';

const DIST_ROOT = resolve(fileURLToPath(import.meta.url), '../../..');

/**
 * The child: publishes what the spec file says, saying "start" and "at STEP" on stdout, and
 * stops for a minute at `spec.pauseAt` (a publish step, or "signing" inside the signer), so
 * that the parent can kill it there with SIGKILL.
 */
const CHILD = `
import { readFile } from 'node:fs/promises';
const dist = process.argv[2];
const { publishTree } = await import(dist + '/src/publish/publish-tree.js');
const { FsPool } = await import(dist + '/src/pool/fs-pool.js');
const { SqliteStore } = await import(dist + '/src/store/sqlite/sqlite-store.js');
const { signerFromKeyFile, slowSigner } = await import(dist + '/test/helpers/test-signer.js');
const { DirPool, entryOf, syntheticPackage } = await import(dist + '/test/publish/synthetic-repo.js');
const spec = JSON.parse(await readFile(process.argv[1], 'utf8'));
const say = (s) => process.stdout.write(s + '\\n');
const pause = () => new Promise((r) => setTimeout(r, 60000));
let signer = await signerFromKeyFile(spec.key);
if (spec.pauseAt === 'signing') signer = slowSigner(signer, 60000, () => say('at signing'));
let packages = spec.packages;
let pool;
if (spec.synthetic) {
  pool = new DirPool(spec.synthetic.pool);
  packages = Array.from({ length: spec.synthetic.count }, (_, i) => entryOf(syntheticPackage(i, spec.synthetic.seed)));
} else {
  pool = await FsPool.open(spec.pool);
}
say('start');
await publishTree({
  ...spec.options,
  components: [{ name: 'main', packages }],
  signer,
  pool,
  store: SqliteStore.open(spec.store),
  onStep: (step) => {
    say('at ' + step);
    if (step === spec.pauseAt) return pause();
  },
});
say('done');
`;

let f: PublishFixture;
let server: FaultServer;
let base: PackageEntry[];

before(async () => {
  f = await publishFixture();
  base = [
    await f.deb({ name: 'hello', version: '1.0-1', architecture: 'amd64', depends: 'hello-data' }),
    await f.deb({ name: 'hello-data', version: '1.0-1', architecture: 'all' }),
  ];
  server = await FaultServer.start(f.root, { locate: viewLocator(f.store, [f.pool, new DirPool(join(f.dir, 'synthetic-pool'))]) });
});

after(async () => {
  await server?.close();
  await f?.close();
});

const common = (prefix: string): Omit<PublishTreeOptions, 'components' | 'signer' | 'pool' | 'store'> => ({
  root: f.root,
  prefix,
  dist: 'crash',
  architectures: ['amd64'],
  meta: { origin: 'Crash' },
});

/** Runs the child and kills it with SIGKILL when it prints `at STEP`, or `afterMs` after "start". */
async function publishAndKill(spec: object, kill: { at: string } | { afterMs: number }, whilePaused?: () => Promise<void>): Promise<'killed' | 'finished'> {
  const specFile = join(f.dir, `spec-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(specFile, JSON.stringify({ key: f.signer.secretKeyFile, store: f.storeFile, ...spec, ...('at' in kill ? { pauseAt: kill.at } : {}) }));
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, specFile, DIST_ROOT], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let timer: NodeJS.Timeout | undefined;
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if ('at' in kill && out.includes(`at ${kill.at}\n`) && !child.killed) {
      if (whilePaused === undefined) child.kill('SIGKILL');
      else void whilePaused().finally(() => child.kill('SIGKILL'));
    }
    if ('afterMs' in kill && out.includes('start\n') && timer === undefined) timer = setTimeout(() => child.kill('SIGKILL'), kill.afterMs);
  });
  const code = await exited;
  clearTimeout(timer);
  if (out.includes('done\n')) return 'finished';
  assert.equal(code, null, `the child failed by itself: ${err}`);
  if ('at' in kill) assert.ok(out.includes(`at ${kill.at}\n`), `the child never got to ${kill.at}: ${out} ${err}`);
  return 'killed';
}

interface Served {
  readonly inRelease: Buffer;
  readonly release: ReleaseFile;
}

/**
 * What `PREFIX/dists/crash` serves is whole: InRelease verifies and every file it lists is
 * there by hash (SHA256 and SHA512), intact. `pair`: Release.gpg verifies Release too;
 * `plain`: the plainly named files are those InRelease lists; `apt`: a real apt updates.
 */
async function checkServed(prefix: string, check: { pair: boolean; plain: boolean; apt: boolean }): Promise<Served> {
  const dir = join(f.root, prefix, 'dists/crash');
  const inRelease = await readFile(join(dir, 'InRelease'));
  assert.ok((await gpgv(f.signer.keyring, join(dir, 'InRelease'))).ok, 'InRelease does not verify');
  if (check.pair) assert.ok((await gpgv(f.signer.keyring, join(dir, 'Release.gpg'), join(dir, 'Release'))).ok, 'Release.gpg does not verify');
  const release = parseRelease(Buffer.from(splitClearsigned(inRelease).signed).toString('utf8'));
  for (const e of release.sha256.values()) {
    const d = join(dir, e.path, '..', 'by-hash');
    const s512 = release.sha512?.get(e.path)?.sha512 ?? '';
    assert.equal(createHash('sha512').update(await readFile(join(d, 'SHA512', s512))).digest('hex'), s512, e.path);
    assert.equal(createHash('sha256').update(await readFile(join(d, 'SHA256', e.sha256))).digest('hex'), e.sha256, e.path);
    if (check.plain) assert.equal(createHash('sha256').update(await readFile(join(dir, e.path))).digest('hex'), e.sha256, `plain ${e.path}`);
  }
  if (check.apt) {
    const apt = await IsolatedApt.create(sourcesEntry(`${server.url}${prefix}/`, 'crash', ['main'], f.signer.keyring));
    try {
      const update = await tryApt(apt, 'update');
      assert.ok(update.ok, update.out);
      // What apt would download for a package of what is served is there, intact.
      const name = (await readFile(join(dir, 'main/binary-amd64/Packages'), 'utf8')).match(/^Package: (.*)$/m)?.[1] ?? '?';
      const { stdout } = await apt.aptGet('download', '--print-uris', name);
      const m = /^'([^']+)' \S+ (\d+) SHA256:([0-9a-f]{64})$/m.exec(stdout);
      assert.ok(m, stdout);
      const body = Buffer.from(await (await fetch(m[1])).arrayBuffer());
      assert.equal(createHash('sha256').update(body).digest('hex'), m[3], m[1]);
    } finally {
      await apt.close();
    }
  }
  return { inRelease, release };
}

const STEPS: readonly (PublishStep | 'signing')[] = ['signing', 'built', 'signed', 'written', 'switched', 'released', 'committed', 'linked', 'cleaned'];
const BEFORE_SWITCH = new Set(['signing', 'built', 'signed', 'written']);

test('kill -9 at every step of a publish: what is served stays whole, and the next publish cleans up', async () => {
  // One package of its own per attempt, so that every attempt makes new indexes and pool files.
  const fillers: PackageEntry[] = [];
  for (let i = 0; i <= STEPS.length; i++) {
    const p = syntheticPackage(i, 77);
    await f.pool.put(Readable.from([p.content]), { sha256: p.sha256, size: p.content.length });
    fillers.push(entryOf(p));
  }
  const poolPath = (e: PackageEntry): string => {
    const source = stanzaField(e.stanza, 'Source') ?? e.name;
    return `${poolDirectory('main', source)}/${e.files[0].path.slice(e.files[0].path.lastIndexOf('/') + 1)}`;
  };

  await publishTree({ ...common('steps'), components: [{ name: 'main', packages: base }], signer: f.signer, pool: f.pool, store: f.store });
  let served = await checkServed('steps', { pair: true, plain: true, apt: false });
  const servedTexts = [served.inRelease];
  let busy: unknown;
  for (const [i, step] of STEPS.entries()) {
    const packages = [...base, fillers[i]];
    // While the child holds the prefix's lock, a publish from here waits, then gives up.
    const whilePaused =
      i === 0
        ? async (): Promise<void> => {
            busy = await publishTree({ ...common('steps'), components: [{ name: 'main', packages: base }], signer: f.signer, pool: f.pool, store: f.store, lockWaitMs: 150 }).catch((e: unknown) => e);
          }
        : undefined;
    assert.equal(await publishAndKill({ options: common('steps'), packages, pool: f.pool.root }, { at: step }, whilePaused), 'killed');
    if (i === 0) assert.ok(busy instanceof DebstashError && busy.details.failure === 'busy', String(busy));
    const switched = !BEFORE_SWITCH.has(step);
    const now = await checkServed('steps', {
      pair: step !== 'released',
      plain: !switched || step === 'linked' || step === 'cleaned',
      apt: step === 'written' || step === 'switched' || step === 'released',
    });
    assert.equal(now.inRelease.equals(served.inRelease), !switched, `after a kill at ${step}, InRelease ${switched ? 'is still the old one' : 'changed'}`);
    if (switched) servedTexts.push(now.inRelease);
    served = now;
  }

  // A normal publish takes over the dead processes' lock, and keeps only what the last three
  // served generations (its own and the two before) refer to.
  await publishTree({ ...common('steps'), components: [{ name: 'main', packages: [...base, fillers[STEPS.length]] }], signer: f.signer, pool: f.pool, store: f.store });
  const last = await checkServed('steps', { pair: true, plain: true, apt: true });
  servedTexts.push(last.inRelease);
  const kept = servedTexts.slice(-3).map((b) => parseRelease(Buffer.from(splitClearsigned(b).signed).toString('utf8')));
  const tree = await listTree(join(f.root, 'steps'));
  assert.deepEqual(tree.filter((p) => p.includes('.debstash/tmp') || p.endsWith('/lock')), []);
  const byHash = tree.filter((p) => p.includes('/by-hash/')).map((p) => p.replace(/^dists\/crash\//, '')).sort();
  const expected = new Set<string>();
  for (const r of kept) {
    for (const e of r.sha256.values()) {
      const d = e.path.slice(0, e.path.lastIndexOf('/'));
      expected.add(`${d}/by-hash/SHA256/${e.sha256}`);
      expected.add(`${d}/by-hash/SHA512/${r.sha512?.get(e.path)?.sha512}`);
    }
  }
  assert.deepEqual(byHash, [...expected].sort());
  // Fillers 5..9 were served (kills at switched and after), the last three generations are
  // fillers 7, 8 and 9; 0..3 (killed before the switch) and 4..6 are gone from the pool.
  const view = new Set((await f.store.poolView('steps')).map((v) => v.path));
  const inPool = (i: number): boolean => view.has(poolPath(fillers[i]));
  assert.deepEqual(
    fillers.map((_, i) => inPool(i)),
    fillers.map((_, i) => i >= STEPS.length - 2),
  );
});

test('kill -9 at random moments of a larger publish never breaks what is served', async () => {
  const count = 600;
  const pool = join(f.dir, 'synthetic-pool');
  await DirPool.create(pool, [...Array.from({ length: count }, (_, i) => syntheticPackage(i, 5)), ...Array.from({ length: count }, (_, i) => syntheticPackage(i, 6))]);
  const first = Array.from({ length: count }, (_, i) => entryOf(syntheticPackage(i, 5)));
  await publishTree({ ...common('big'), components: [{ name: 'main', packages: first }], signer: f.signer, pool: new DirPool(pool), store: f.store });
  for (const [i, ms] of [20, 90, 160].entries()) {
    // Each attempt publishes another set (all packages change), killed after `ms`.
    await publishAndKill({ options: { ...common('big'), meta: { origin: `Crash ${i}` } }, synthetic: { count, seed: i % 2 === 0 ? 6 : 5, pool } }, { afterMs: ms });
    // By hash (what apt uses) the tree is always whole; plainly named indexes and Release.gpg
    // may lag a moment behind a switch.
    await checkServed('big', { pair: false, plain: false, apt: i === 0 });
  }
  await publishTree({ ...common('big'), components: [{ name: 'main', packages: first }], signer: f.signer, pool: new DirPool(pool), store: f.store });
  await checkServed('big', { pair: true, plain: true, apt: true });
});
