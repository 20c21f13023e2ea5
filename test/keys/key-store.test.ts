import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readKey } from 'openpgp';
import { ensureSigningKey } from '../../src/keys/ensure-key.js';
import { generateKey } from '../../src/keys/generate-key.js';
import { importKey } from '../../src/keys/import-key.js';
import type { KeyInfo } from '../../src/keys/key-info.js';
import { exportPublicKey, keysDir, listKeys, publicKeyPath, resolveKey, secretKeyPath, setDefaultKey } from '../../src/keys/key-store.js';
import { openSigner } from '../../src/keys/open-signer.js';
import { isCode } from '../helpers/coded-error.js';
import { GpgHome } from '../helpers/gpg-home.js';
import { isKeyCode, tempDir } from './key-fixtures.js';

describe('key store', () => {
  let tmp: { dir: string; close: () => Promise<void> };
  let dataDir: string;
  let a: KeyInfo;
  let b: KeyInfo;
  before(async () => {
    tmp = await tempDir();
    dataDir = join(tmp.dir, 'data');
    a = await generateKey(dataDir, { name: 'A' });
    b = await generateKey(dataDir, { name: 'B' });
  });
  after(() => tmp.close());

  test('an empty or missing store: no keys, and opening or exporting is DEBSTASH_E_KEY_NOT_FOUND', async () => {
    const empty = join(tmp.dir, 'empty');
    assert.deepEqual(await listKeys(empty), []);
    await assert.rejects(openSigner(empty), isKeyCode('DEBSTASH_E_KEY_NOT_FOUND', /no signing key/));
    await assert.rejects(exportPublicKey(empty), isKeyCode('DEBSTASH_E_KEY_NOT_FOUND'));
    await assert.rejects(openSigner(empty, { fingerprint: a.fingerprint }), isKeyCode('DEBSTASH_E_KEY_NOT_FOUND', /no key/));
  });

  test('a key is named by its fingerprint or a trailing part of it, in any case, spaced or 0x-prefixed', async () => {
    const f = a.fingerprint;
    const spaced = f.match(/.{4}/g)?.join(' ') ?? f;
    for (const id of [f, f.toLowerCase(), a.keyId, `0x${a.keyId}`, f.slice(-8), spaced]) {
      assert.equal(await resolveKey(dataDir, id), f, id);
    }
    await assert.rejects(resolveKey(dataDir, '0123456789ABCDEF'), isKeyCode('DEBSTASH_E_KEY_NOT_FOUND', /no key 0123456789ABCDEF/));
    await assert.rejects(resolveKey(dataDir, 'my-key'), isCode('DEBSTASH_E_USAGE', /not a key ID/));
    await assert.rejects(resolveKey(dataDir, 'ABCDEF'), isCode('DEBSTASH_E_USAGE', /not a key ID/));
  });

  test('an ID that matches several keys is refused, naming them', async () => {
    const dir = join(tmp.dir, 'ambiguous');
    await mkdir(keysDir(dir), { recursive: true });
    const one = `${'1'.repeat(32)}CAFEF00D`;
    const two = `${'2'.repeat(32)}CAFEF00D`;
    await writeFile(secretKeyPath(dir, one), '');
    await writeFile(secretKeyPath(dir, two), '');
    await assert.rejects(resolveKey(dir, 'cafef00d'), isKeyCode('DEBSTASH_E_KEY_NOT_FOUND', /matches 2 keys .*give more of the fingerprint/));
    assert.equal(await resolveKey(dir, `1${'1'.repeat(7)}CAFEF00D`), one);
  });

  test('the default: the first key, until another is chosen; a lone key without a record is the default', async () => {
    assert.equal(a.default, true);
    assert.equal(b.default, false);
    assert.equal((await openSigner(dataDir)).fingerprint, a.fingerprint);

    const chosen = await setDefaultKey(dataDir, b.keyId);
    assert.equal(chosen.fingerprint, b.fingerprint);
    assert.equal(chosen.default, true);
    assert.equal((await openSigner(dataDir)).fingerprint, b.fingerprint);
    assert.deepEqual(
      (await listKeys(dataDir)).map((k) => [k.userIds[0], k.default]).sort(),
      [
        ['A', false],
        ['B', true],
      ],
    );
    assert.equal((await exportPublicKey(dataDir)).fingerprint, b.fingerprint);
    await setDefaultKey(dataDir, a.fingerprint);
    await assert.rejects(setDefaultKey(dataDir, '0123456789ABCDEF'), isKeyCode('DEBSTASH_E_KEY_NOT_FOUND'));

    const lone = join(tmp.dir, 'lone');
    const only = await generateKey(lone);
    await rm(join(keysDir(lone), 'default'));
    assert.equal((await openSigner(lone)).fingerprint, only.fingerprint);
    assert.equal((await listKeys(lone))[0].default, true);
  });

  test('without a default among several keys, or with a default that is gone, the error says what to do', async () => {
    const dir = join(tmp.dir, 'no-default');
    const first = await generateKey(dir);
    await generateKey(dir);
    await rm(secretKeyPath(dir, first.fingerprint));
    await rm(publicKeyPath(dir, first.fingerprint));
    await assert.rejects(openSigner(dir), isKeyCode('DEBSTASH_E_KEY_NOT_FOUND', /default key .* is no longer/));
    await generateKey(dir);
    await rm(join(keysDir(dir), 'default'));
    await assert.rejects(openSigner(dir), isKeyCode('DEBSTASH_E_KEY_NOT_FOUND', /2 keys and none is the default.*debstash key default/));
  });

  test('export gives the armored public key only, the same as the file beside the secret key', async () => {
    const { fingerprint, armored } = await exportPublicKey(dataDir, b.keyId);
    assert.equal(fingerprint, b.fingerprint);
    assert.match(armored, /^-----BEGIN PGP PUBLIC KEY BLOCK-----\n[\s\S]+-----END PGP PUBLIC KEY BLOCK-----\n$/);
    assert.doesNotMatch(armored, /PRIVATE/);
    const key = await readKey({ armoredKey: armored });
    assert.equal(key.isPrivate(), false);
    assert.equal(key.getFingerprint().toUpperCase(), b.fingerprint);
    assert.equal(armored, await readFile(publicKeyPath(dataDir, b.fingerprint), 'utf8'));
  });

  test('stray files (temporaries, other names) are not keys; a damaged key file is DEBSTASH_E_KEY_STORE', async () => {
    const dir = join(tmp.dir, 'stray');
    const k = await generateKey(dir);
    await writeFile(join(keysDir(dir), `${k.fingerprint}.secret.asc.tmp-1-abc`), 'partial');
    await writeFile(join(keysDir(dir), 'notes.txt'), 'hello');
    assert.deepEqual((await listKeys(dir)).map((x) => x.fingerprint), [k.fingerprint]);
    await copyFile(secretKeyPath(dir, k.fingerprint), join(tmp.dir, 'saved'));
    await writeFile(secretKeyPath(dir, k.fingerprint), '-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nbroken\n');
    await assert.rejects(listKeys(dir), isKeyCode('DEBSTASH_E_KEY_STORE', /not a readable secret key/));
    await assert.rejects(openSigner(dir), isKeyCode('DEBSTASH_E_KEY_STORE'));
    await writeFile(join(keysDir(dir), 'default'), 'garbage\n');
    await assert.rejects(openSigner(dir), isKeyCode('DEBSTASH_E_KEY_STORE', /does not hold a key fingerprint/));
  });

  test('ensureSigningKey: generates the first key once, then returns the default', async () => {
    const dir = join(tmp.dir, 'ensure');
    const [x, y] = await Promise.all([ensureSigningKey(dir, { email: 'up@example.org' }), ensureSigningKey(dir)]);
    assert.equal(x.fingerprint, y.fingerprint);
    assert.equal(x.default, true);
    const listed = await listKeys(dir);
    assert.ok(listed.length >= 1 && listed.length <= 2, String(listed.length));
    assert.equal((await ensureSigningKey(dir)).fingerprint, x.fingerprint);
    assert.equal((await listKeys(dir)).length, listed.length);
    assert.equal((await ensureSigningKey(dataDir)).fingerprint, a.fingerprint);
  });

  test('a key that expired after it was imported is refused before anything is signed', async () => {
    const home = await GpgHome.create();
    try {
      const fpr = await home.generateKey('Short <short@example.org>', 'ed25519', { expire: '1d' });
      const dir = join(tmp.dir, 'expiring');
      const info = await importKey(dir, await home.exportSecretKey(fpr));
      assert.notEqual(info.expires, null);
      await openSigner(dir);
      const later = new Date(Date.now() + 3 * 86_400_000);
      await assert.rejects(openSigner(dir, { now: later }), isKeyCode('DEBSTASH_E_KEY_REFUSED', /cannot sign now/));
    } finally {
      await home.close();
    }
  });
});
