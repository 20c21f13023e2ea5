import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { parseDeb822 } from '../../src/deb/deb822-parse.js';
import { closeContext, openEmbeddedContext } from '../../src/model/context.js';
import { clientConfig } from '../../src/model/client-config.js';
import { startServer } from '../../src/server/start-server.js';
import { buildDeb } from '../helpers/build-deb.js';
import { IsolatedApt } from '../helpers/isolated-apt.js';
import { type CliRun, runCli } from '../helpers/run-cli.js';
import { type MirrorFixture, mirrorFixture } from '../model/mirror-fixture.js';

const run = promisify(execFile);

function hasAptly(): boolean {
  try {
    execFileSync('aptly', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The filter of the aptly mirror: fewer packages than the fixture has, with dependencies. */
const APTLY_FILTER = 'app | i386-app';

/** An aptly installation in `root`, made by the real aptly: its config, its gpg home, and a runner. */
interface Aptly {
  readonly root: string;
  readonly conf: string;
  aptly(...args: string[]): Promise<string>;
}

async function aptlyAt(root: string, gnupg: string): Promise<Aptly> {
  const conf = join(root, 'aptly.conf');
  await mkdir(root, { recursive: true });
  await writeFile(conf, JSON.stringify({ rootDir: join(root, 'aptly'), gpgProvider: 'gpg' }));
  return {
    root,
    conf,
    aptly: async (...args) => (await run('aptly', [`-config=${conf}`, ...args], { env: { ...process.env, GNUPGHOME: gnupg }, maxBuffer: 1 << 26 })).stdout,
  };
}

/** `INDEX name version arch sha256` of every binary Packages of `dists/DIST` under `publicRoot`. */
async function publishedSet(publicRoot: string, dist: string): Promise<Set<string>> {
  const out = new Set<string>();
  const dir = join(publicRoot, 'dists', dist);
  for (const component of await readdir(dir, { withFileTypes: true })) {
    if (!component.isDirectory() || component.name === 'by-hash') continue;
    for (const index of await readdir(join(dir, component.name))) {
      if (!index.startsWith('binary-')) continue;
      const text = await readFile(join(dir, component.name, index, 'Packages'), 'utf8');
      for (const p of parseDeb822(text)) out.add(`${component.name}/${index} ${p.get('Package')} ${p.get('Version')} ${p.get('Architecture')} ${p.get('SHA256')}`);
    }
  }
  return out;
}

async function sha256File(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) out.push(join(e.parentPath, e.name));
  return out;
}

describe('debstash import aptly', { skip: hasAptly() ? false : 'aptly is not installed', concurrency: 2 }, () => {
  let fx: MirrorFixture;
  let dir: string;
  let gnupg: string;
  let src: Aptly;
  const cli = (data: string, args: readonly string[], env?: Record<string, string>): Promise<CliRun> => runCli(data, args, { env: { GNUPGHOME: gnupg, ...env } });
  const ok = async (data: string, args: readonly string[]): Promise<CliRun> => {
    const r = await cli(data, args);
    assert.equal(r.status, 0, `debstash ${args.join(' ')}: ${r.text}`);
    return r;
  };
  /** A fresh data dir with a signing key. */
  const dataDir = async (): Promise<string> => {
    const data = await mkdtemp(join(dir, 'data-'));
    await ok(data, ['key', 'generate', '--name', 'Import Test']);
    return data;
  };
  const importArgs = (conf: string, yaml: string): string[] => ['import', 'aptly', '--config', conf, '--keyring', fx.key.keyring, '--yaml', yaml];

  before(async () => {
    fx = await mirrorFixture();
    dir = await mkdtemp(join(fx.dir, 'aptly-'));
    gnupg = await mkdtemp(join(dir, 'gnupg-'));
    await chmod(gnupg, 0o700);
    src = await aptlyAt(join(dir, 'src'), gnupg);
    const debs = join(dir, 'debs');
    const local = await buildDeb(debs, { name: 'localtool', version: '1.0', architecture: 'amd64', depends: 'libfoo1' }, { compression: 'xz' });
    const { aptly } = src;
    await aptly('mirror', 'create', '-architectures=amd64,i386', `-filter=${APTLY_FILTER}`, '-filter-with-deps', `-keyring=${fx.key.keyring}`, 'up', fx.server.url, 'testing', 'main', 'contrib');
    await aptly('mirror', 'update', `-keyring=${fx.key.keyring}`, 'up');
    await aptly('repo', 'create', '-distribution=local', '-component=main', 'loc');
    await aptly('repo', 'add', 'loc', local);
    await aptly('snapshot', 'create', 'up1', 'from', 'mirror', 'up');
    await aptly('snapshot', 'create', 'loc1', 'from', 'repo', 'loc');
    await aptly('snapshot', 'merge', 'both', 'up1', 'loc1');
    await aptly('publish', 'snapshot', '-skip-signing', '-distribution=testing', 'both');
    await aptly('publish', 'repo', '-skip-signing', '-distribution=local', 'loc', 'lp');
    // Several components from several snapshots: one debstash snapshot keeps them apart.
    await aptly('publish', 'snapshot', '-skip-signing', '-distribution=multi', '-component=main,extra', 'up1', 'loc1', 'mc');
  });
  after(async () => {
    await fx.close();
  });

  test("recreates the installation: debstash's publish serves aptly's package set, hard-linked from aptly's pool; apt installs from it, apply keeps it going", async () => {
    const data = await dataDir();
    const yaml = join(data, 'debstash.yaml');
    const imported = await ok(data, ['--json', ...importArgs(src.conf, yaml)]);
    const doc = JSON.parse(imported.text.slice(imported.text.indexOf('{'))) as { mirrors: string[]; repos: string[]; snapshots: string[]; publishes: unknown[]; files: { linked: number; copied: number; present: number } };
    assert.deepEqual(doc.mirrors, ['up']);
    assert.deepEqual(doc.repos, ['loc']);
    assert.deepEqual([...doc.snapshots].sort(), ['aptly-publish-mc-multi', 'both', 'loc1', 'up1']);
    assert.equal(doc.publishes.length, 3);

    // The same packages, versions, architectures and bytes in every index of each publish.
    for (const [prefix, dist] of [['', 'testing'], ['lp', 'local'], ['mc', 'multi']] as const) {
      const theirs = await publishedSet(join(src.root, 'aptly', 'public', prefix), dist);
      const ours = await publishedSet(join(data, 'public', prefix), dist);
      assert.ok(theirs.size > 0);
      assert.deepEqual([...ours].sort(), [...theirs].sort(), `${prefix}/${dist}`);
      const names = new Set([...theirs].map((l) => l.split(' ').slice(1, 4).join(' ')));
      console.log(`# package-set comparison ${prefix || '.'}/${dist}: aptly ${theirs.size} index entries (${names.size} packages), debstash ${ours.size}, identical (Package, Version, Architecture, SHA256 per binary index)`);
    }

    // Every file was hard-linked: the same inode as in aptly's pool, nothing copied.
    const aptlyPool = await filesUnder(join(src.root, 'aptly', 'pool'));
    assert.equal(doc.files.linked, aptlyPool.length);
    assert.equal(doc.files.copied, 0);
    for (const f of aptlyPool) {
      const h = await sha256File(f);
      assert.equal((await stat(join(data, 'pool', h.slice(0, 2), h.slice(2, 4), h))).ino, (await stat(f)).ino, f);
    }

    // A snapshot keeps aptly's exact list.
    const snap = JSON.parse((await ok(data, ['--json', 'snapshot', 'show', 'up1'])).text) as { packages: { name: string; version: string; architecture: string }[] };
    const aptlyUp1 = JSON.parse(await src.aptly('snapshot', 'show', '-json', '-with-packages', 'up1')) as { Packages: string[] };
    assert.deepEqual(snap.packages.map((p) => `${p.name}_${p.version}_${p.architecture}`).sort(), [...aptlyUp1.Packages].sort());

    const yamlText = await readFile(yaml, 'utf8');
    assert.match(yamlText, /filter: app \| i386-app/);
    assert.match(yamlText, /- mirror: up\n\s+- repo: loc/);
    assert.match(yamlText, /# publish mc\/multi is not here: it publishes 2 sources in components extra, main/);

    const ctx = await openEmbeddedContext(data);
    const server = await startServer(ctx, { host: '127.0.0.1', port: 0 });
    const apt = await IsolatedApt.create(await clientConfig(ctx, 'testing', { url: server.url }));
    try {
      await apt.aptGet('update');
      const out = await apt.aptGet('install', '-y', '--download-only', 'app', 'localtool');
      assert.match(out.stdout, /Download complete and in download only mode/);
      assert.match(out.stdout, /localtool/);

      // apply from the emitted debstash.yaml: the mirror is updated (its files are already in
      // the pool) and the publish moves on to a fresh snapshot of the mirror and the repo.
      const applied = await ok(data, ['--config', yaml, 'apply']);
      assert.match(applied.text, /switch \/ testing from snapshot both/);
      await apt.aptGet('update');
      await apt.aptGet('install', '-y', '--download-only', 'app', 'localtool');
    } finally {
      await apt.close();
      await server.close();
      await closeContext(ctx);
    }
  });

  test('refuses, importing nothing: aptly missing, config unreadable, a pool file missing or damaged, a name debstash has', async () => {
    const data = await dataDir();
    const code = async (args: readonly string[], expected: string, env?: Record<string, string>): Promise<void> => {
      const r = await cli(data, ['--json', ...args], env);
      assert.equal(r.status, expected === 'DEBSTASH_E_APTLY_CONFIG' ? 2 : 1, r.text);
      assert.match(r.text, new RegExp(`"code": ?"${expected}"`), r.text);
      assert.doesNotMatch(r.text, /\n\s+at /, 'no stack trace');
    };
    const yaml = (n: string): string => join(data, `${n}.yaml`);
    const nothingImported = async (): Promise<void> => {
      for (const kind of ['mirror', 'repo', 'snapshot', 'publish']) assert.deepEqual(JSON.parse((await ok(data, ['--json', kind, 'list'])).text), [], kind);
    };

    await code(importArgs(src.conf, yaml('a')), 'DEBSTASH_E_APTLY_NOT_INSTALLED', { PATH: join(dir, 'no-such-dir') });
    await code(importArgs(join(dir, 'missing.conf'), yaml('b')), 'DEBSTASH_E_APTLY_CONFIG');
    await writeFile(join(dir, 'bad.conf'), '{"rootDir": ');
    await code(importArgs(join(dir, 'bad.conf'), yaml('c')), 'DEBSTASH_E_APTLY_CONFIG');

    // Copies of the installation with one pool file removed, and one with a byte changed.
    const copy = async (name: string): Promise<{ conf: string; file: string }> => {
      const root = join(dir, name);
      await cp(src.root, root, { recursive: true });
      const c = await aptlyAt(root, gnupg);
      const files = (await filesUnder(join(root, 'aptly', 'pool'))).sort();
      return { conf: c.conf, file: files.find((f) => f.includes('localtool')) ?? (files[0] as string) };
    };
    const missing = await copy('missing');
    await rm(missing.file);
    await code(importArgs(missing.conf, yaml('d')), 'DEBSTASH_E_APTLY_POOL_MISSING');
    const damaged = await copy('damaged');
    const bytes = await readFile(damaged.file);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0xff;
    await writeFile(damaged.file, bytes);
    await code(importArgs(damaged.conf, yaml('e')), 'DEBSTASH_E_APTLY_POOL_CORRUPT');
    await nothingImported();
    for (const n of ['a', 'b', 'c', 'd', 'e']) await assert.rejects(stat(yaml(n)), /ENOENT/, 'no debstash.yaml for a failed import');

    // A name debstash has already.
    await ok(data, ['repo', 'create', 'loc']);
    await code(importArgs(src.conf, yaml('f')), 'DEBSTASH_E_REPO_EXISTS');
    assert.deepEqual(JSON.parse((await ok(data, ['--json', 'mirror', 'list'])).text), []);
    assert.deepEqual(JSON.parse((await ok(data, ['--json', 'snapshot', 'list'])).text), []);
  });
});
