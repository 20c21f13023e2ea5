import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readKey } from 'openpgp';
import { ensureSigningKey } from '../../src/keys/ensure-key.js';
import { generateKey } from '../../src/keys/generate-key.js';
import { importKey } from '../../src/keys/import-key.js';
import type { KeyInfo } from '../../src/keys/key-info.js';
import { exportPublicKey, listKeys, resolveKey, setDefaultKey } from '../../src/keys/key-store.js';
import { openSigner } from '../../src/keys/open-signer.js';
import type { SigningKeyRecord } from '../../src/store/signing-key-record.js';
import { isCode } from '../helpers/coded-error.js';
import { GpgHome } from '../helpers/gpg-home.js';
import { isKeyCode, tempDir, keyStore } from './key-fixtures.js';

/** A row as the store keeps it, for a key no test signs with. */
function fakeRecord(fingerprint: string): SigningKeyRecord {
  return { fingerprint, secretArmored: '', publicArmored: '', algorithm: 'ed25519', userId: 'fake', createdAt: '2026-01-01T00:00:00.000Z' };
}

/** Writes rows straight into the store of `dir`, with no default: states the key commands never leave. */
async function putRecords(dir: string, records: readonly SigningKeyRecord[]): Promise<void> {
  await (await keyStore(dir)).transaction(async (tx) => {
    for (const r of records) assert.equal(await tx.addSigningKey(r), true);
  });
}

describe('key store', () => {
  let tmp: { dir: string; close: () => Promise<void> };
  let dataDir: string;
  let a: KeyInfo;
  let b: KeyInfo;
  const recordOf = async (fingerprint: string): Promise<SigningKeyRecord> => {
    const r = await (await keyStore(dataDir)).getSigningKey(fingerprint);
    assert.ok(r, fingerprint);
    return r;
  };
  before(async () => {
    tmp = await tempDir();
    dataDir = join(tmp.dir, 'data');
    a = await generateKey(await keyStore(dataDir), { name: 'A' });
    b = await generateKey(await keyStore(dataDir), { name: 'B' });
  });
  after(() => tmp.close());

  test('an empty or missing store: no keys, and opening or exporting is DEBSTASH_E_KEY_NOT_FOUND', async () => {
    const empty = join(tmp.dir, 'empty');
    assert.deepEqual(await listKeys(await keyStore(empty)), []);
    await assert.rejects(openSigner(await keyStore(empty)), isKeyCode('DEBSTASH_E_KEY_NOT_FOUND', /no signing key/));
    await assert.rejects(exportPublicKey(await keyStore(empty)), isKeyCode('DEBSTASH_E_KEY_NOT_FOUND'));
    await assert.rejects(openSigner(await keyStore(empty), { fingerprint: a.fingerprint }), isKeyCode('DEBSTASH_E_KEY_NOT_FOUND', /no key/));
  });

  test('a key is named by its fingerprint or a trailing part of it, in any case, spaced or 0x-prefixed', async () => {
    const f = a.fingerprint;
    const spaced = f.match(/.{4}/g)?.join(' ') ?? f;
    for (const id of [f, f.toLowerCase(), a.keyId, `0x${a.keyId}`, f.slice(-8), spaced]) {
      assert.equal(await resolveKey(await keyStore(dataDir), id), f, id);
    }
    await assert.rejects(resolveKey(await keyStore(dataDir), '0123456789ABCDEF'), isKeyCode('DEBSTASH_E_KEY_NOT_FOUND', /no key 0123456789ABCDEF/));
    await assert.rejects(resolveKey(await keyStore(dataDir), 'my-key'), isCode('DEBSTASH_E_USAGE', /not a key ID/));
    await assert.rejects(resolveKey(await keyStore(dataDir), 'ABCDEF'), isCode('DEBSTASH_E_USAGE', /not a key ID/));
  });

  test('an ID that matches several keys is refused, naming them', async () => {
    const dir = join(tmp.dir, 'ambiguous');
    const one = `${'1'.repeat(32)}CAFEF00D`;
    const two = `${'2'.repeat(32)}CAFEF00D`;
    await putRecords(dir, [fakeRecord(one), fakeRecord(two)]);
    await assert.rejects(resolveKey(await keyStore(dir), 'cafef00d'), isKeyCode('DEBSTASH_E_KEY_NOT_FOUND', /matches 2 keys .*give more of the fingerprint/));
    assert.equal(await resolveKey(await keyStore(dir), `1${'1'.repeat(7)}CAFEF00D`), one);
  });

  test('the default: the first key, until another is chosen; a lone key without a record is the default', async () => {
    assert.equal(a.default, true);
    assert.equal(b.default, false);
    assert.equal((await openSigner(await keyStore(dataDir))).fingerprint, a.fingerprint);

    const chosen = await setDefaultKey(await keyStore(dataDir), b.keyId);
    assert.equal(chosen.fingerprint, b.fingerprint);
    assert.equal(chosen.default, true);
    assert.equal((await openSigner(await keyStore(dataDir))).fingerprint, b.fingerprint);
    assert.deepEqual(
      (await listKeys(await keyStore(dataDir))).map((k) => [k.userIds[0], k.default]).sort(),
      [
        ['A', false],
        ['B', true],
      ],
    );
    assert.equal((await exportPublicKey(await keyStore(dataDir))).fingerprint, b.fingerprint);
    await setDefaultKey(await keyStore(dataDir), a.fingerprint);
    await assert.rejects(setDefaultKey(await keyStore(dataDir), '0123456789ABCDEF'), isKeyCode('DEBSTASH_E_KEY_NOT_FOUND'));

    const lone = join(tmp.dir, 'lone');
    const only = a;
    await putRecords(lone, [await recordOf(a.fingerprint)]);
    assert.equal((await openSigner(await keyStore(lone))).fingerprint, only.fingerprint);
    assert.equal((await listKeys(await keyStore(lone)))[0].default, true);
  });

  test('without a default among several keys, or with a default that is gone, the error says what to do', async () => {
    const dir = join(tmp.dir, 'no-default');
    await putRecords(dir, [await recordOf(a.fingerprint), await recordOf(b.fingerprint)]);
    await assert.rejects(openSigner(await keyStore(dir)), isKeyCode('DEBSTASH_E_KEY_NOT_FOUND', /2 keys and none is the default.*debstash key default/));
    await (await keyStore(dir)).transaction((tx) => tx.setDefaultSigningKey('F'.repeat(40)));
    await assert.rejects(openSigner(await keyStore(dir)), isKeyCode('DEBSTASH_E_KEY_NOT_FOUND', /default key .* is no longer/));
  });

  test('export gives the armored public key only, the same as the store keeps beside the secret key', async () => {
    const { fingerprint, armored } = await exportPublicKey(await keyStore(dataDir), b.keyId);
    assert.equal(fingerprint, b.fingerprint);
    assert.match(armored, /^-----BEGIN PGP PUBLIC KEY BLOCK-----\n[\s\S]+-----END PGP PUBLIC KEY BLOCK-----\n$/);
    assert.doesNotMatch(armored, /PRIVATE/);
    const key = await readKey({ armoredKey: armored });
    assert.equal(key.isPrivate(), false);
    assert.equal(key.getFingerprint().toUpperCase(), b.fingerprint);
    assert.equal(armored, (await recordOf(b.fingerprint)).publicArmored);
  });

  test('a damaged stored key is DEBSTASH_E_KEY_STORE', async () => {
    const dir = join(tmp.dir, 'damaged');
    await putRecords(dir, [{ ...(await recordOf(a.fingerprint)), secretArmored: '-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nbroken\n' }]);
    await assert.rejects(listKeys(await keyStore(dir)), isKeyCode('DEBSTASH_E_KEY_STORE', /not a readable secret key/));
    await assert.rejects(openSigner(await keyStore(dir)), isKeyCode('DEBSTASH_E_KEY_STORE'));
  });

  test('ensureSigningKey: generates the first key once, then returns the default', async () => {
    const dir = join(tmp.dir, 'ensure');
    const [x, y] = await Promise.all([ensureSigningKey(await keyStore(dir), { email: 'up@example.org' }), ensureSigningKey(await keyStore(dir))]);
    assert.equal(x.fingerprint, y.fingerprint);
    assert.equal(x.default, true);
    const listed = await listKeys(await keyStore(dir));
    assert.ok(listed.length >= 1 && listed.length <= 2, String(listed.length));
    assert.equal((await ensureSigningKey(await keyStore(dir))).fingerprint, x.fingerprint);
    assert.equal((await listKeys(await keyStore(dir))).length, listed.length);
    assert.equal((await ensureSigningKey(await keyStore(dataDir))).fingerprint, a.fingerprint);
  });

  test('a key that expired after it was imported is refused before anything is signed', async () => {
    const home = await GpgHome.create();
    try {
      const fpr = await home.generateKey('Short <short@example.org>', 'ed25519', { expire: '1d' });
      const dir = join(tmp.dir, 'expiring');
      const info = await importKey(await keyStore(dir), await home.exportSecretKey(fpr));
      assert.notEqual(info.expires, null);
      await openSigner(await keyStore(dir));
      const later = new Date(Date.now() + 3 * 86_400_000);
      await assert.rejects(openSigner(await keyStore(dir), { now: later }), isKeyCode('DEBSTASH_E_KEY_REFUSED', /cannot sign now/));
    } finally {
      await home.close();
    }
  });
});
