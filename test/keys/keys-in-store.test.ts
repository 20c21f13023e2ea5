/**
 * Keys live in the store (issue 13): data dirs that share one PostgreSQL store share the keys,
 * with nothing under DATA_DIR/keys/; and a data dir made when keys were files there keeps its
 * keys, imported once into the store.
 */
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { KeyInfo } from '../../src/keys/key-info.js';
import { listKeys } from '../../src/keys/key-store.js';
import { importLegacyKeys, legacyKeysDir } from '../../src/keys/legacy-keys.js';
import { openSigner } from '../../src/keys/open-signer.js';
import { closeContext, openEmbeddedContext } from '../../src/model/context.js';
import { buildDeb } from '../helpers/build-deb.js';
import { gpgv } from '../helpers/gpg-home.js';
import { postgresMissing } from '../helpers/postgres-server.js';
import { type CliRun, runCli } from '../helpers/run-cli.js';
import { sharedPostgres, stopStoreBackends } from '../helpers/store-backends.js';
import { isKeyCode, keyStore, tempDir, writeKeyring } from './key-fixtures.js';

after(stopStoreBackends);

const ok = (r: CliRun): string => {
  assert.equal(r.status, 0, r.text);
  return r.text;
};

describe('two data dirs on one PostgreSQL store', { skip: postgresMissing() }, () => {
  let tmp: { dir: string; close: () => Promise<void> };
  before(async () => {
    tmp = await tempDir();
  });
  after(() => tmp.close());

  test('a key generated through data dir A is listed and signs a publish through data dir B, whose keys dir is empty', async () => {
    const url = await (await sharedPostgres()).createDatabase(`keys_shared_${process.pid}`);
    const env = { DEBSTASH_DATABASE_URL: url, DEBSTASH_CONFIG: '' };
    const a = join(tmp.dir, 'a');
    const b = join(tmp.dir, 'b');
    await mkdir(legacyKeysDir(b), { recursive: true });
    const cli = (data: string, ...args: string[]): Promise<CliRun> => runCli(data, ['--local', ...args], { env });

    const made = JSON.parse(ok(await cli(a, '--json', 'key', 'generate', '--name', 'Fleet'))) as KeyInfo;
    const listed = JSON.parse(ok(await cli(b, '--json', 'key', 'list'))) as KeyInfo[];
    assert.deepEqual(
      listed.map((k) => [k.fingerprint, k.default]),
      [[made.fingerprint, true]],
    );
    const exportedByA = ok(await cli(a, 'key', 'export'));
    assert.equal(ok(await cli(b, 'key', 'export')), exportedByA);

    ok(await cli(b, 'repo', 'create', 'r'));
    ok(await cli(b, 'repo', 'add', 'r', await buildDeb(join(tmp.dir, 'debs'), { name: 'hello', version: '1.0', architecture: 'amd64' }, { compression: 'gzip' })));
    ok(await cli(b, 'publish', 'repo', 'r', '--dist', 'stable'));
    const keyring = await writeKeyring(exportedByA, join(tmp.dir, 'a.gpg'));
    const verified = await gpgv(keyring, join(b, 'public', 'dists', 'stable', 'InRelease'));
    assert.ok(verified.ok, verified.status);
    assert.match(verified.status, new RegExp(`VALIDSIG ${made.fingerprint}`));

    // Signed-By of B's client config is A's key; nothing was written to either keys dir.
    assert.match(ok(await cli(b, 'client-config', 'stable', '--url', 'http://127.0.0.1:1')), /Signed-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----/);
    assert.deepEqual(await readdir(legacyKeysDir(b)), []);
    assert.deepEqual(await readdir(legacyKeysDir(a)).catch(() => []), []);
  });
});

describe('a data dir with keys in DATA_DIR/keys/ (before keys lived in the store)', () => {
  let tmp: { dir: string; close: () => Promise<void> };
  let plain: { fingerprint: string; armored: string };
  let locked: { fingerprint: string; armored: string };
  const passphrase = 'legacy secret';
  before(async () => {
    tmp = await tempDir();
    // Made by today's code, then written as the old layout had them.
    const source = await keyStore(join(tmp.dir, 'source'));
    const { generateKey } = await import('../../src/keys/generate-key.js');
    const p = await generateKey(source, { name: 'Plain' });
    const l = await generateKey(source, { name: 'Locked', passphrase });
    plain = { fingerprint: p.fingerprint, armored: (await source.getSigningKey(p.fingerprint))?.secretArmored ?? '' };
    locked = { fingerprint: l.fingerprint, armored: (await source.getSigningKey(l.fingerprint))?.secretArmored ?? '' };
  });
  after(() => tmp.close());

  async function legacyDir(name: string, defaultKey: string): Promise<string> {
    const data = join(tmp.dir, name);
    const keys = legacyKeysDir(data);
    await mkdir(keys, { recursive: true, mode: 0o700 });
    for (const k of [plain, locked]) await writeFile(join(keys, `${k.fingerprint}.secret.asc`), k.armored, { mode: 0o600 });
    await writeFile(join(keys, `${plain.fingerprint}.public.asc`), 'public, never read back');
    await writeFile(join(keys, `${plain.fingerprint}.secret.asc.tmp-1-abc`), 'a temporary of a write that crashed');
    await writeFile(join(keys, 'default'), `${defaultKey}\n`);
    return data;
  }

  test('opening it imports the keys and the default once, as stored (still encrypted), and leaves the files', async () => {
    const data = await legacyDir('old', locked.fingerprint);
    const before = (await readdir(legacyKeysDir(data))).sort();
    const ctx = await openEmbeddedContext(data);
    try {
      const keys = await listKeys(ctx.store);
      assert.deepEqual(keys.map((k) => [k.fingerprint, k.default, k.passphrase]).sort(), [
        [plain.fingerprint, false, false],
        [locked.fingerprint, true, true],
      ].sort());
      assert.equal((await ctx.store.getSigningKey(locked.fingerprint))?.secretArmored, locked.armored);
      assert.equal((await ctx.store.getSigningKey(plain.fingerprint))?.userId, 'Plain');
      await assert.rejects(openSigner(ctx.store), isKeyCode('DEBSTASH_E_KEY_PASSPHRASE'));
      assert.equal((await openSigner(ctx.store, { passphrase })).fingerprint, locked.fingerprint);
      // Once in, a second look imports nothing, whatever the files say now.
      await writeFile(join(legacyKeysDir(data), 'default'), `${plain.fingerprint}\n`);
      assert.deepEqual(await importLegacyKeys(ctx.store, data), []);
      assert.equal(await ctx.store.defaultSigningKey(), locked.fingerprint);
    } finally {
      await closeContext(ctx);
    }
    assert.deepEqual((await readdir(legacyKeysDir(data))).sort(), before);
    assert.equal(await readFile(join(legacyKeysDir(data), `${locked.fingerprint}.secret.asc`), 'utf8'), locked.armored);

    // The CLI on the same data dir: the same keys, once each.
    const listed = JSON.parse(ok(await runCli(data, ['--local', '--json', 'key', 'list'], { env: { DEBSTASH_DATABASE_URL: '', DEBSTASH_CONFIG: '' } }))) as KeyInfo[];
    assert.deepEqual(listed.map((k) => k.fingerprint).sort(), [plain.fingerprint, locked.fingerprint].sort());
  });

  test('a key added to the files later is imported; the store keeps its default', async () => {
    const data = join(tmp.dir, 'later');
    const store = await keyStore(data);
    await mkdir(legacyKeysDir(data), { recursive: true });
    await writeFile(join(legacyKeysDir(data), `${plain.fingerprint}.secret.asc`), plain.armored);
    assert.deepEqual(await importLegacyKeys(store, data), [plain.fingerprint]);
    assert.equal(await store.defaultSigningKey(), undefined, 'no default file, no default recorded');
    await writeFile(join(legacyKeysDir(data), `${locked.fingerprint}.secret.asc`), locked.armored);
    await writeFile(join(legacyKeysDir(data), 'default'), `${locked.fingerprint}\n`);
    assert.deepEqual(await importLegacyKeys(store, data), [locked.fingerprint]);
    assert.equal(await store.defaultSigningKey(), locked.fingerprint);
  });

  test('a damaged key file is DEBSTASH_E_KEY_STORE naming it, and nothing is imported', async () => {
    const data = join(tmp.dir, 'damaged');
    const store = await keyStore(data);
    await mkdir(legacyKeysDir(data), { recursive: true });
    await writeFile(join(legacyKeysDir(data), `${plain.fingerprint}.secret.asc`), plain.armored);
    await writeFile(join(legacyKeysDir(data), `${locked.fingerprint}.secret.asc`), '-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nbroken\n');
    await assert.rejects(importLegacyKeys(store, data), isKeyCode('DEBSTASH_E_KEY_STORE', new RegExp(`${locked.fingerprint}\\.secret\\.asc`)));
    assert.deepEqual(await store.listSigningKeys(), []);
  });
});
